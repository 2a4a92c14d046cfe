import { operation } from '#lib/server/route';
import { reportViews, runReports } from '#lib/server/reports';

/** POST /api/v1/admin/reports/run {month, tenantId?, reason?} — queue new versions of a month's reports (platform admins; audited). */
export const POST = operation('runReports', async ({ app, tx, body, audit }) => {
	const rows = await runReports(tx, app.queue, body, audit);
	return { status: 202, body: { month: body.month, reports: await reportViews(tx, rows) } };
});
