import { idempotentResponse } from '#lib/server/idempotency';
import { listProofs, readProofBody, submitContext, submitProof } from '#lib/server/proofs';
import { operation } from '#lib/server/route';

/** GET /api/v1/proofs — proofs of the caller's tenant, newest first. */
export const GET = operation('listProofs', ({ app, tenantId, query }) => listProofs(app.database.db, tenantId, query));

/** The file name a client gave (X-Filename), without any path. */
const filenameOf = (request: Request) => request.headers.get('x-filename')?.split(/[\\/]/).pop()?.slice(0, 255) || null;

/** POST /api/v1/proofs — one proof file; 202 with its public ID (Idempotency-Key replays). */
export const POST = operation('submitProof', async ({ app, event, actor, tenantId, scope }) =>
	idempotentResponse(
		await submitProof(
			submitContext(app, app.database.db),
			event,
			{ tenantId, submitter: { kind: actor.kind, id: actor.id }, source: 'api', scope },
			await readProofBody(event.request, app.config.PROOF_MAX_BYTES),
			filenameOf(event.request)
		)
	)
);
