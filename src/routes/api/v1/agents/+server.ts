import { json } from '@sveltejs/kit';
import { listAgents } from '#lib/server/agents';
import { requireActor, requireTenant } from '#lib/server/auth';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { zListAgentsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/agents — agents of the caller's tenant (agents:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'agents:read'));
	const query = parseQuery(event.url, zListAgentsQuery, ['limit']);
	return json(await listAgents(platform().database.db, tenantId, query));
};
