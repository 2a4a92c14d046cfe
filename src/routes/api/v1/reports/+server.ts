import { operation } from '#lib/server/route';
import { listReports } from '#lib/server/reports';

/** GET /api/v1/reports — the tenant's monthly reports, newest month first. */
export const GET = operation('listReports', ({ app, tenantId, query }) => listReports(app.database.db, { tenantId }, query));
