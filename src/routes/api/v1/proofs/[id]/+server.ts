import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { getProof } from '#lib/server/proofs';
import { zGetProofPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/proofs/{id} — by public ID, with its timeline (proofs:read); another tenant's is 404. */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'proofs:read'));
	const path = zGetProofPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No proof with this id in your tenant.');
	return json(await getProof(platform().database.db, tenantId, path.data.id));
};
