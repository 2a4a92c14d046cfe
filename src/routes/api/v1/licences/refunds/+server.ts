import { refundRevokedCertificate } from '#lib/server/certificates';
import { operation } from '#lib/server/route';

/** POST /api/v1/licences/refunds — refund the licence of a revoked certificate, once (audited). */
export const POST = operation('refundLicence', async ({ tx, body, audit }) => ({
	status: 201,
	body: await refundRevokedCertificate(tx, body.certificateId, body.reason, audit)
}));
