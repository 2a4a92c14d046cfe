import { auditContext, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { setPlatformAdmin } from '#lib/server/tenancy';
import { zChangePlatformUserBody, zChangePlatformUserPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** PATCH /api/v1/admin/users/{id} — grant or withdraw platform admin (admin:tenants; audited; Idempotency-Key). */
export const PATCH: RequestHandler = async (event) => {
	const actor = requireActor(event, 'admin:tenants');
	const path = zChangePlatformUserPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No person with this id.');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zChangePlatformUserBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id, JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await setPlatformAdmin(tx, path.data.id, body.platformAdmin, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
