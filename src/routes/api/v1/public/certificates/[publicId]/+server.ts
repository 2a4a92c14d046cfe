import { json } from '@sveltejs/kit';
import { zGetPublicCertificatePath } from '#lib/api/zod.gen';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { publicCertificate } from '#lib/server/verification';
import type { RequestHandler } from './$types';

/** GET /api/v1/public/certificates/{publicId} — status and summary, no internal ids (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const path = zGetPublicCertificatePath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this ID.');
	const { config, database } = platform();
	return json(await publicCertificate(database.db, path.data.publicId, config.origin), { headers: { 'cache-control': 'no-cache' } });
};
