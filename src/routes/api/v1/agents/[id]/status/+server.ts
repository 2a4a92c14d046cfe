import { changeAgentStatus } from '#lib/server/agents';
import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zChangeAgentStatusBody, zChangeAgentStatusPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/agents/{id}/status — suspend, reactivate or revoke (agents:manage; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'agents:manage');
	const tenantId = requireTenant(actor);
	const path = zChangeAgentStatusPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No agent with this id in your tenant.');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zChangeAgentStatusBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id, JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await changeAgentStatus(tx, tenantId, path.data.id, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
