import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { getCertificate } from '#lib/server/certificates';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { zGetCertificatePath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/certificates/{id} — by public ID (certificates:read); another tenant's is 404. */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'certificates:read'));
	const path = zGetCertificatePath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	const { config, database } = platform();
	return json(await getCertificate(database.db, tenantId, path.data.id, config.origin));
};
