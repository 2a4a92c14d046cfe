import { json } from '@sveltejs/kit';
import { getAgent } from '#lib/server/agents';
import { requireActor, requireTenant } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { zGetAgentPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/agents/{id} — one agent of the caller's tenant (agents:read); another tenant's is 404. */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'agents:read'));
	const path = zGetAgentPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No agent with this id in your tenant.');
	return json(await getAgent(platform().database.db, tenantId, path.data.id));
};
