import { activityCsv } from '#lib/server/activity';
import { exportAudit, refuseChainFilters } from '#lib/server/audit';
import { exportResponse, exportWindow } from '#lib/server/http/export-stream';
import { operation } from '#lib/server/route';

/**
 * GET /api/v1/audit/export — the caller's tenant's audit rows of the same filters as CSV (format=csv, the default),
 * or its chain in seq order with the hash-chain fields (format=ndjson|json, from/to only), streamed.
 */
export const GET = operation('exportAuditEvents', async ({ app, tenantId, query: { format, from, to, ...filters } }) => {
	const day = new Date().toISOString().slice(0, 10);
	if (format === 'csv') {
		const csv = await activityCsv(app.database.db, { ...filters, tenantId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
		return new Response(csv, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="audit-${day}.csv"`, 'cache-control': 'no-store' } });
	}
	refuseChainFilters(filters);
	return exportResponse(exportAudit(app.database.db, { format, tenantId, ...exportWindow({ from, to }) }), format, `audit-${day}`);
});
