import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { readBodyLimited } from '#lib/server/http/body';
import { parseQuery } from '#lib/server/http/query';
import { idempotencyScope, idempotentResponse } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { checkProofContentType, listProofs, submitProof } from '#lib/server/proofs';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { zListProofsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/proofs — proofs of the caller's tenant, newest first (proofs:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'proofs:read'));
	const query = parseQuery(event.url, zListProofsQuery, ['limit']);
	return json(await listProofs(platform().database.db, tenantId, query));
};

/** The file name a client gave (X-Filename), without any path. */
const filenameOf = (request: Request) => request.headers.get('x-filename')?.split(/[\\/]/).pop()?.slice(0, 255) || null;

/** POST /api/v1/proofs — one proof file; 202 with its public ID (proofs:write; Idempotency-Key; rate limited). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'proofs:write');
	const tenantId = requireTenant(actor);
	await enforceRateLimit(event, 'ingest');
	const { config, database, queue, storage } = platform();
	checkProofContentType(event.request.headers.get('content-type'));
	const body = await readBodyLimited(event.request, config.PROOF_MAX_BYTES);
	const outcome = await submitProof(
		{ db: database.db, queue, storage },
		event,
		{ tenantId, submitter: { kind: actor.kind, id: actor.id }, source: 'api', scope: idempotencyScope(actor) },
		body,
		filenameOf(event.request)
	);
	return idempotentResponse(outcome);
};
