import { idempotencyScope, idempotentResponse } from '#lib/server/idempotency';
import { submitContext, submitProof } from '#lib/server/proofs';
import { agentOperation } from '#lib/server/route';

/** POST /ingest/v1/proofs — an enrolled agent's signed submission; same answers as POST /api/v1/proofs. */
export const POST = agentOperation(
	'ingestProof',
	async ({ app, db, event, agent, raw }) =>
		idempotentResponse(
			await submitProof(
				submitContext(app, db),
				event,
				{
					tenantId: agent.tenantId,
					submitter: { kind: 'agent', id: agent.id },
					agentId: agent.id,
					source: 'ingest',
					scope: idempotencyScope({ tenantId: agent.tenantId, kind: 'agent', id: agent.id })
				},
				raw
			)
		),
	{ maxBytes: (config) => config.PROOF_MAX_BYTES }
);
