import { exportCertificates } from '#lib/server/certificates';
import { operation } from '#lib/server/route';

/** GET /api/v1/certificates/export?format=csv|json — every certificate of the tenant, streamed. */
export const GET = operation('exportCertificates', async ({ app, tenantId, query: { format = 'json', status, attestation } }) => {
	const date = new Date().toISOString().slice(0, 10);
	return new Response(exportCertificates(app.database.db, tenantId, { format, status, attestation }, app.config.origin), {
		headers: {
			'content-type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8',
			'content-disposition': `attachment; filename="certificates-${date}.${format}"`,
			'cache-control': 'no-store'
		}
	});
});
