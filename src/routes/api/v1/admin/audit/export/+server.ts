import { activityCsv } from '#lib/server/activity';
import { PLATFORM_CHAIN } from '#lib/server/audit';
import { operation } from '#lib/server/route';

/** GET /api/v1/admin/audit/export — the platform's audit rows of the same filters as CSV. */
export const GET = operation('exportAdminAuditEvents', async ({ app, query: { tenantId, from, to, ...query } }) => {
	const scope = tenantId === undefined ? undefined : tenantId === PLATFORM_CHAIN ? null : tenantId.toLowerCase();
	const csv = await activityCsv(app.database.db, { ...query, tenantId: scope, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
	const day = new Date().toISOString().slice(0, 10);
	return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="platform-audit-${day}.csv"`, 'cache-control': 'no-store' } });
});
