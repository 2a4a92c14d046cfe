import { getAgent } from '#lib/server/agents';
import { operation } from '#lib/server/route';

/** GET /api/v1/agents/{id} — one agent of the caller's tenant; another tenant's is 404. */
export const GET = operation('getAgent', ({ app, tenantId, params }) => getAgent(app.database.db, tenantId, params.id), {
	notFound: 'No agent with this id in your tenant.'
});
