import { getProof } from '#lib/server/proofs';
import { operation } from '#lib/server/route';

/** GET /api/v1/proofs/{id} — by public ID, with its timeline; another tenant's is 404. */
export const GET = operation('getProof', ({ app, tenantId, params }) => getProof(app.database.db, tenantId, params.id), {
	notFound: 'No proof with this id in your tenant.'
});
