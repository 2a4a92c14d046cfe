import { join } from 'node:path';
import { requireActor, requireTenant } from '#lib/server/auth';
import { idempotencyScope, idempotentResponse } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { submitBulk } from '#lib/server/proofs';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/** POST /api/v1/proofs/bulk — many files (multipart) or one zip, streamed; a result per file (proofs:write). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'proofs:write');
	const tenantId = requireTenant(actor);
	await enforceRateLimit(event, 'ingest');
	const { config, database, queue, storage } = platform();
	const outcome = await submitBulk(
		{ db: database.db, queue, storage },
		event,
		{ tenantId, submitter: { kind: actor.kind, id: actor.id }, source: 'bulk', scope: idempotencyScope(actor) },
		{ proofMaxBytes: config.PROOF_MAX_BYTES, bulkMaxBytes: config.BULK_MAX_BYTES, concurrency: config.BULK_CONCURRENCY, tmpDir: join(config.dataDir, 'tmp') }
	);
	return idempotentResponse(outcome);
};
