import { exportCertificates } from '#lib/server/certificates';
import { exportResponse, exportWindow } from '#lib/server/http/export-stream';
import { operation } from '#lib/server/route';

/** GET /api/v1/certificates/export?format=csv|json|ndjson&status=&attestation=&from=&to= — the tenant's certificates, streamed. */
export const GET = operation('exportCertificates', async ({ app, tenantId, query: { format, status, attestation, ...window } }) => {
	const date = new Date().toISOString().slice(0, 10);
	return exportResponse(exportCertificates(app.database.db, tenantId, { format, status, attestation, ...exportWindow(window) }, app.config.origin), format, `certificates-${date}`);
});
