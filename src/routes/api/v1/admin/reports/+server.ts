import { operation } from '#lib/server/route';
import { listReports } from '#lib/server/reports';

/** GET /api/v1/admin/reports?month=&tenantId= — every tenant's and the platform's reports (platform admins). */
export const GET = operation('listAdminReports', ({ app, query: { tenantId, ...page } }) =>
	listReports(app.database.db, { platform: true }, { ...page, scope: tenantId?.toLowerCase() })
);
