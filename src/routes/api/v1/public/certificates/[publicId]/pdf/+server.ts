import { operation } from '#lib/server/route';
import { publicCertificatePdf } from '#lib/server/verification';

/** GET /api/v1/public/certificates/{publicId}/pdf — the signed PDF. */
export const GET = operation(
	'getPublicCertificatePdf',
	async ({ app, params }) => {
		const pdf = await publicCertificatePdf(app.database.db, app.storage, params.publicId);
		return new Response(Buffer.from(pdf), {
			headers: {
				'content-type': 'application/pdf',
				'content-disposition': `inline; filename="${params.publicId}.pdf"`,
				'x-content-type-options': 'nosniff',
				'cache-control': 'no-cache'
			}
		});
	},
	{ notFound: 'No certificate with this ID.' }
);
