import { activityCsv } from '#lib/server/activity';
import { PLATFORM_CHAIN, exportAudit, refuseChainFilters } from '#lib/server/audit';
import { exportResponse, exportWindow } from '#lib/server/http/export-stream';
import { operation } from '#lib/server/route';

/**
 * GET /api/v1/admin/audit/export — the platform's audit rows of the same filters as CSV (format=csv, the default),
 * or one chain, the platform chain or every chain with the hash-chain fields (format=ndjson|json, tenantId/from/to only).
 */
export const GET = operation('exportAdminAuditEvents', async ({ app, query: { format, tenantId, from, to, ...filters } }) => {
	const scope = tenantId === undefined ? undefined : tenantId === PLATFORM_CHAIN ? null : tenantId.toLowerCase();
	const day = new Date().toISOString().slice(0, 10);
	if (format === 'csv') {
		const csv = await activityCsv(app.database.db, { ...filters, tenantId: scope, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
		return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="platform-audit-${day}.csv"`, 'cache-control': 'no-store' } });
	}
	refuseChainFilters(filters);
	return exportResponse(exportAudit(app.database.db, { format, tenantId: scope, ...exportWindow({ from, to }) }), format, `audit-${tenantId ?? 'all'}-${day}`);
});
