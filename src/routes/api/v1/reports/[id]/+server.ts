import { operation } from '#lib/server/route';
import { getReport } from '#lib/server/reports';

/** GET /api/v1/reports/{id} — one report of the tenant with its breakdowns; another tenant's is 404. */
export const GET = operation('getReport', ({ app, tenantId, params }) => getReport(app.database.db, { tenantId }, params.id), { notFound: 'No report with this id.' });
