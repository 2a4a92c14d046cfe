import { requireActor, requireTenant } from '#lib/server/auth';
import { exportCertificates } from '#lib/server/certificates';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { zExportCertificatesQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/certificates/export?format=csv|json — every certificate of the tenant, streamed (certificates:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'certificates:read'));
	const { format = 'json', status } = parseQuery(event.url, zExportCertificatesQuery);
	const query = { format, status };
	const { config, database } = platform();
	const date = new Date().toISOString().slice(0, 10);
	return new Response(exportCertificates(database.db, tenantId, query, config.origin), {
		headers: {
			'content-type': query.format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8',
			'content-disposition': `attachment; filename="certificates-${date}.${query.format}"`,
			'cache-control': 'no-store'
		}
	});
};
