import { listServiceAccounts, registerServiceAccount } from '#lib/server/auth';
import { operation } from '#lib/server/route';

const NOT_FOUND = 'No tenant has this id.';

/** GET /api/v1/admin/tenants/{id}/service-accounts */
export const GET = operation('listServiceAccounts', async ({ app, params }) => ({ items: await listServiceAccounts(app.database.db, params.id), nextCursor: null }), {
	notFound: NOT_FOUND
});

/** POST /api/v1/admin/tenants/{id}/service-accounts — register an OIDC client for the tenant (audited). */
export const POST = operation(
	'registerServiceAccount',
	async ({ tx, params, body, audit }) => ({ status: 201, body: await registerServiceAccount(tx, params.id, body, audit) }),
	{ notFound: NOT_FOUND }
);
