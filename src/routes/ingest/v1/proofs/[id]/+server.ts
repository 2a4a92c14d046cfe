import { proofStatusView } from '#lib/server/proofs';
import { agentOperation } from '#lib/server/route';

/** GET /ingest/v1/proofs/{id} — a signed status request by an agent of the proof's tenant. */
export const GET = agentOperation('getIngestedProof', ({ db, agent, params }) => proofStatusView(db, agent.tenantId, params.id), {
	notFound: 'No proof with this id in your tenant.'
});
