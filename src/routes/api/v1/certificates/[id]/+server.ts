import { getCertificate } from '#lib/server/certificates';
import { operation } from '#lib/server/route';

/** GET /api/v1/certificates/{id} — by public ID; another tenant's is 404. */
export const GET = operation('getCertificate', ({ app, tenantId, params }) => getCertificate(app.database.db, tenantId, params.id, app.config.origin), {
	notFound: 'No certificate with this id in your tenant.'
});
