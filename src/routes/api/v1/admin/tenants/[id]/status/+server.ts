import { auditContext, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { changeTenantStatus } from '#lib/server/tenancy';
import { zChangeTenantStatusBody, zChangeTenantStatusPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/admin/tenants/{id}/status — suspend or reactivate a tenant (admin:tenants; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'admin:tenants');
	const path = zChangeTenantStatusPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No tenant with this id.');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zChangeTenantStatusBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id, JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await changeTenantStatus(tx, path.data.id, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
