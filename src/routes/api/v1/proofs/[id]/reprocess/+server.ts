import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { reprocessProof } from '#lib/server/proofs';
import { zReprocessProofPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/proofs/{id}/reprocess — back to RECEIVED where allowed, else 409 (proofs:write; audited). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'proofs:write');
	const tenantId = requireTenant(actor);
	const path = zReprocessProofPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No proof with this id in your tenant.');
	const { database, queue } = platform();
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id) }, async (tx) => ({
		status: 202,
		body: await reprocessProof(tx, queue, tenantId, path.data.id, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
