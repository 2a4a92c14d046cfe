import { reprocessProof } from '#lib/server/proofs';
import { operation } from '#lib/server/route';

/** POST /api/v1/proofs/{id}/reprocess — back to RECEIVED where allowed, else 409 (audited). */
export const POST = operation(
	'reprocessProof',
	async ({ app, tx, tenantId, params, audit }) => ({ status: 202, body: await reprocessProof(tx, app.queue, tenantId, params.id, audit) }),
	{ notFound: 'No proof with this id in your tenant.' }
);
