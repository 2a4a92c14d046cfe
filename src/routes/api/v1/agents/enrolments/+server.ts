import { createEnrolmentToken } from '#lib/server/agents';
import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zCreateEnrolmentTokenBody } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/agents/enrolments — a single-use enrolment token, shown once (agents:manage; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'agents:manage');
	const tenantId = requireTenant(actor);
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zCreateEnrolmentTokenBody, config.JSON_BODY_MAX_BYTES);
	const ctx = { ...auditContext(event, actor), createdBy: { kind: actor.kind, id: actor.id } };
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => {
		const t = await createEnrolmentToken(tx, tenantId, body, ctx, config.ENROLMENT_TOKEN_TTL);
		return {
			status: 201,
			body: {
				id: t.id,
				token: t.token,
				name: t.name,
				expiresAt: t.expiresAt.toISOString(),
				command: `npm run agent-sim -- --url ${config.origin} --enrol-token ${t.token} --count 10`
			}
		};
	});
	return idempotentResponse(outcome, { 'cache-control': 'no-store' });
};
