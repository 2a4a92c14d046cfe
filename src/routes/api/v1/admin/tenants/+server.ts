import { json } from '@sveltejs/kit';
import { auditContext, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { parseQuery } from '#lib/server/http/query';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { createTenantWithFirstAdmin, listTenants } from '#lib/server/tenancy';
import { zCreateTenantBody, zListTenantsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/tenants — every tenant (admin:tenants). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:tenants');
	const query = parseQuery(event.url, zListTenantsQuery, ['limit']);
	return json(await listTenants(platform().database.db, { cursor: query.cursor, limit: query.limit }));
};

/** POST /api/v1/admin/tenants — create a tenant, optionally inviting its first tenant admin (admin:tenants; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'admin:tenants');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zCreateTenantBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await createTenantWithFirstAdmin(tx, body, { ...auditContext(event, actor), userId: actor.kind === 'user' ? actor.id : null })
	}));
	return idempotentResponse(outcome);
};
