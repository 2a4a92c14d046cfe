import { zGetCertificatePdfPath } from '#lib/api/zod.gen';
import { requireActor, requireTenant } from '#lib/server/auth';
import { tenantCertificatePdf } from '#lib/server/certificates/pdf-download';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import type { RequestHandler } from './$types';

/** GET /api/v1/certificates/{id}/pdf — the signed PDF (certificates:read); another tenant's is 404. */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'certificates:read'));
	const path = zGetCertificatePdfPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	const { database, storage } = platform();
	const pdf = await tenantCertificatePdf(database.db, storage, tenantId, path.data.id);
	return new Response(Buffer.from(pdf), {
		headers: {
			'content-type': 'application/pdf',
			// inline and framable by our own pages: the certificate page previews it in an iframe and
			// its link downloads it (the `download` attribute); other sites still cannot frame it
			'content-disposition': `inline; filename="${path.data.id}.pdf"`,
			'x-frame-options': 'SAMEORIGIN',
			'content-security-policy': "frame-ancestors 'self'",
			'x-content-type-options': 'nosniff',
			'cache-control': 'private, no-cache'
		}
	});
};
