import { listAgents } from '#lib/server/agents';
import { operation } from '#lib/server/route';

/** GET /api/v1/agents — agents of the caller's tenant. */
export const GET = operation('listAgents', ({ app, tenantId, query }) => listAgents(app.database.db, tenantId, query));
