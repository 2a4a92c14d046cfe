import { auditContext, requireActor } from '#lib/server/auth';
import { refundRevokedCertificate } from '#lib/server/certificates';
import { parseJsonBody } from '#lib/server/http/body';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zRefundLicenceBody } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/licences/refunds — refund the licence of a revoked certificate, once (licences:grant; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'licences:grant');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zRefundLicenceBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await refundRevokedCertificate(tx, body.certificateId, body.reason, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
