import { json } from '@sveltejs/kit';
import { requireActor } from '#lib/server/auth';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { listPlatformUsers } from '#lib/server/tenancy';
import { zListPlatformUsersQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/admin/users — everyone who signed in, with their roles (admin:tenants). */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:tenants');
	const query = parseQuery(event.url, zListPlatformUsersQuery, ['limit']);
	return json(await listPlatformUsers(platform().database.db, query));
};
