import { tenantCertificatePdf } from '#lib/server/certificates/pdf-download';
import { operation } from '#lib/server/route';

/** GET /api/v1/certificates/{id}/pdf — the signed PDF; another tenant's is 404. */
export const GET = operation(
	'getCertificatePdf',
	async ({ app, tenantId, params }) => {
		const pdf = await tenantCertificatePdf(app.database.db, app.storage, tenantId, params.id);
		return new Response(Buffer.from(pdf), {
			headers: {
				'content-type': 'application/pdf',
				// inline and framable by our own pages: the certificate page previews it in an iframe and
				// its link downloads it (the `download` attribute); other sites still cannot frame it
				'content-disposition': `inline; filename="${params.id}.pdf"`,
				'x-frame-options': 'SAMEORIGIN',
				'content-security-policy': "frame-ancestors 'self'",
				'x-content-type-options': 'nosniff',
				'cache-control': 'private, no-cache'
			}
		});
	},
	{ notFound: 'No certificate with this id in your tenant.' }
);
