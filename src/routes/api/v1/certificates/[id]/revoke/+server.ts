import { revokeCertificate } from '#lib/server/certificates';
import { operation } from '#lib/server/route';

/** POST /api/v1/certificates/{id}/revoke — with a reason (audited). */
export const POST = operation(
	'revokeCertificate',
	async ({ app, tx, tenantId, params, body, audit }) => ({ status: 200, body: await revokeCertificate(tx, tenantId, params.id, body.reason, audit, app.config.origin) }),
	{ notFound: 'No certificate with this id in your tenant.' }
);
