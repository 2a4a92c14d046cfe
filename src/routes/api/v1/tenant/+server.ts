import { json } from '@sveltejs/kit';
import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { getTenantSettings, updateTenantSettings } from '#lib/server/tenancy';
import { zUpdateTenantSettingsBody } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/tenant — the caller's tenant's settings (proofs:read: every role of the tenant). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'proofs:read'));
	return json(await getTenantSettings(platform().database.db, tenantId));
};

/** PATCH /api/v1/tenant — display name, language (tenant:settings; audited; Idempotency-Key). */
export const PATCH: RequestHandler = async (event) => {
	const actor = requireActor(event, 'tenant:settings');
	const tenantId = requireTenant(actor);
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zUpdateTenantSettingsBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await updateTenantSettings(tx, tenantId, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
