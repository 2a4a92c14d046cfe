import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { parseQuery } from '#lib/server/http/query';
import { tenantLicences } from '#lib/server/licences';
import { platform } from '#lib/server/platform';
import { zGetTenantLicencesPath, zGetTenantLicencesQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/licences/tenants/{id} — a tenant's balance and ledger for the console (licences:grant). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'licences:grant');
	const path = zGetTenantLicencesPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No tenant with this id.');
	const query = parseQuery(event.url, zGetTenantLicencesQuery, ['limit']);
	return json(await tenantLicences(platform().database.db, path.data.id, query));
};
