import { operation } from '#lib/server/route';
import { changeTenantStatus } from '#lib/server/tenancy';

/** POST /api/v1/admin/tenants/{id}/status — suspend or reactivate a tenant (audited). */
export const POST = operation('changeTenantStatus', async ({ tx, params, body, audit }) => ({ status: 200, body: await changeTenantStatus(tx, params.id, body, audit) }), {
	notFound: 'No tenant with this id.'
});
