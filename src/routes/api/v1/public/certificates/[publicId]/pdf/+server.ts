import { zGetPublicCertificatePdfPath } from '#lib/api/zod.gen';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { publicCertificatePdf } from '#lib/server/verification';
import type { RequestHandler } from './$types';

/** GET /api/v1/public/certificates/{publicId}/pdf — the signed PDF (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const path = zGetPublicCertificatePdfPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this ID.');
	const { database, storage } = platform();
	const pdf = await publicCertificatePdf(database.db, storage, path.data.publicId);
	return new Response(Buffer.from(pdf), {
		headers: {
			'content-type': 'application/pdf',
			'content-disposition': `inline; filename="${path.data.publicId}.pdf"`,
			'x-content-type-options': 'nosniff',
			'cache-control': 'no-cache'
		}
	});
};
