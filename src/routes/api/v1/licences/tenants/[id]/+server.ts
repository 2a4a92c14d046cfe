import { tenantLicences } from '#lib/server/licences';
import { operation } from '#lib/server/route';

/** GET /api/v1/licences/tenants/{id} — a tenant's balance and ledger for the console. */
export const GET = operation('getTenantLicences', ({ app, params, query }) => tenantLicences(app.database.db, params.id, query), {
	notFound: 'No tenant with this id.'
});
