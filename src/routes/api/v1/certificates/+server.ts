import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { listCertificates } from '#lib/server/certificates';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { zListCertificatesQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/certificates — certificates of the caller's tenant (certificates:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'certificates:read'));
	const query = parseQuery(event.url, zListCertificatesQuery, ['limit']);
	const { config, database } = platform();
	return json(await listCertificates(database.db, tenantId, query, config.origin));
};
