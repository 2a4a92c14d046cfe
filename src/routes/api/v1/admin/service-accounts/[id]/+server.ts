import { auditContext, disableServiceAccount, requireActor } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zDisableServiceAccountPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** DELETE /api/v1/admin/service-accounts/{id} — disable (admin:tenants; audited; Idempotency-Key). */
export const DELETE: RequestHandler = async (event) => {
	const actor = requireActor(event, 'admin:tenants');
	const path = zDisableServiceAccountPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No service account has this id.');
	const outcome = await runIdempotent(platform().database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id) }, async (tx) => {
		await disableServiceAccount(tx, path.data.id, auditContext(event, actor));
		return { status: 204, body: null };
	});
	return idempotentResponse(outcome);
};
