import { activityCsv } from '#lib/server/activity';
import { operation } from '#lib/server/route';

/** GET /api/v1/audit/export — the caller's tenant's audit rows of the same filters as CSV. */
export const GET = operation('exportAuditEvents', async ({ app, tenantId, query: { from, to, ...query } }) => {
	const csv = await activityCsv(app.database.db, { ...query, tenantId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
	const day = new Date().toISOString().slice(0, 10);
	return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="audit-${day}.csv"`, 'cache-control': 'no-store' } });
});
