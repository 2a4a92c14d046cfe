import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { overviewStats } from '#lib/server/stats';
import { zGetOverviewStatsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/stats/overview — the dashboard's figures for the caller's tenant (proofs:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'proofs:read'));
	const { days } = parseQuery(event.url, zGetOverviewStatsQuery, ['days']);
	return json(await overviewStats(platform().database.db, tenantId, days ?? 30));
};
