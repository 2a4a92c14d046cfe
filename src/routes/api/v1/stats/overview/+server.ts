import { operation } from '#lib/server/route';
import { overviewStats } from '#lib/server/stats';

/** GET /api/v1/stats/overview — the dashboard's figures for the caller's tenant. */
export const GET = operation('getOverviewStats', ({ app, tenantId, query }) => overviewStats(app.database.db, tenantId, query.days ?? 30));
