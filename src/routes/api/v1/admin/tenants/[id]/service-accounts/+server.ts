import { json } from '@sveltejs/kit';
import { auditContext, listServiceAccounts, registerServiceAccount, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zListServiceAccountsPath, zRegisterServiceAccountBody } from '#lib/api/zod.gen';
import type { RequestEvent } from './$types';

function tenantId(event: RequestEvent): string {
	const path = zListServiceAccountsPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No tenant has this id.');
	return path.data.id;
}

/** GET /api/v1/admin/tenants/{id}/service-accounts (admin:tenants). */
export async function GET(event: RequestEvent) {
	requireActor(event, 'admin:tenants');
	return json({ items: await listServiceAccounts(platform().database.db, tenantId(event)), nextCursor: null });
}

/** POST /api/v1/admin/tenants/{id}/service-accounts — register an OIDC client for the tenant (admin:tenants; audited; Idempotency-Key). */
export async function POST(event: RequestEvent) {
	const actor = requireActor(event, 'admin:tenants');
	const id = tenantId(event);
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zRegisterServiceAccountBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(id, JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await registerServiceAccount(tx, id, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
}
