import { changeAgentStatus } from '#lib/server/agents';
import { operation } from '#lib/server/route';

/** POST /api/v1/agents/{id}/status — suspend, reactivate or revoke (audited). */
export const POST = operation(
	'changeAgentStatus',
	async ({ tx, tenantId, params, body, audit }) => ({ status: 200, body: await changeAgentStatus(tx, tenantId, params.id, body, audit) }),
	{ notFound: 'No agent with this id in your tenant.' }
);
