import { json } from '@sveltejs/kit';
import { authenticateAgent, gatewayDatabase } from '#lib/server/agents';
import { readBodyLimited } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { proofStatusView } from '#lib/server/proofs';
import { zGetIngestedProofPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /ingest/v1/proofs/{id} — a signed status request by an agent of the proof's tenant. */
export const GET: RequestHandler = async (event) => {
	const { config } = platform();
	const db = gatewayDatabase().db;
	const body = await readBodyLimited(event.request, 0);
	const agent = await authenticateAgent(db, { method: 'GET', headers: event.request.headers, url: event.url }, body, {
		origin: config.origin,
		windowSeconds: config.AGENT_SIGNATURE_WINDOW
	});
	const path = zGetIngestedProofPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No proof with this id in your tenant.');
	return json(await proofStatusView(db, agent.tenantId, path.data.id));
};
