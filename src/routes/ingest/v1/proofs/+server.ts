import { assertSigned, authenticateAgent, gatewayDatabase } from '#lib/server/agents';
import { readBodyLimited } from '#lib/server/http/body';
import { idempotencyScope, idempotentResponse } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { checkProofContentType, submitProof } from '#lib/server/proofs';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/**
 * POST /ingest/v1/proofs — an enrolled agent's signed submission (RFC 9421 +
 * RFC 9530); same answers as POST /api/v1/proofs. Runs on the least-privilege
 * ingest database role.
 */
export const POST: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'ingest');
	assertSigned(event.request.headers);
	const { config, queue, storage } = platform();
	checkProofContentType(event.request.headers.get('content-type'));
	const body = await readBodyLimited(event.request, config.PROOF_MAX_BYTES);
	const db = gatewayDatabase().db;
	const agent = await authenticateAgent(db, { method: event.request.method, headers: event.request.headers, url: event.url }, body, {
		origin: config.origin,
		windowSeconds: config.AGENT_SIGNATURE_WINDOW
	});
	const outcome = await submitProof(
		{ db, queue, storage },
		event,
		{
			tenantId: agent.tenantId,
			submitter: { kind: 'agent', id: agent.id },
			agentId: agent.id,
			source: 'ingest',
			scope: idempotencyScope({ tenantId: agent.tenantId, kind: 'agent', id: agent.id })
		},
		body
	);
	return idempotentResponse(outcome);
};
