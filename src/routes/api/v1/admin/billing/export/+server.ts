import { exportResponse, exportWindow } from '#lib/server/http/export-stream';
import { exportLedger } from '#lib/server/licences';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/billing/export?format=&from=&to=&tenantId= — every tenant's ledger rows, oldest first, streamed (platform admins). */
export const GET = operation('exportBilling', async ({ app, query: { format, tenantId, ...window } }) =>
	exportResponse(exportLedger(app.database.db, { format, tenantId, ...exportWindow(window) }), format, `billing-${new Date().toISOString().slice(0, 10)}`)
);
