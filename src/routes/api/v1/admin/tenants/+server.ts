import { operation } from '#lib/server/route';
import { createTenantWithFirstAdmin, listTenants } from '#lib/server/tenancy';

/** GET /api/v1/admin/tenants — every tenant. */
export const GET = operation('listTenants', ({ app, query }) => listTenants(app.database.db, query));

/** POST /api/v1/admin/tenants — create a tenant, optionally inviting its first tenant admin (audited). */
export const POST = operation('createTenant', async ({ tx, body, audit, actor }) => ({
	status: 201,
	body: await createTenantWithFirstAdmin(tx, body, { ...audit, userId: actor.kind === 'user' ? actor.id : null })
}));
