import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { getTenant } from '#lib/server/tenancy';
import { zGetTenantPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/tenants/{id} (admin:tenants). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:tenants');
	const path = zGetTenantPath.safeParse(event.params);
	const tenant = path.success ? await getTenant(platform().database.db, path.data.id) : null;
	if (!tenant) throw new ApiError('not_found', 'No tenant has this id.');
	return json(tenant);
};
