import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { revokeCertificate } from '#lib/server/certificates';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zRevokeCertificateBody, zRevokeCertificatePath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/certificates/{id}/revoke — with a reason (certificates:revoke; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'certificates:revoke');
	const tenantId = requireTenant(actor);
	const path = zRevokeCertificatePath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zRevokeCertificateBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id, JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await revokeCertificate(tx, tenantId, path.data.id, body.reason, auditContext(event, actor), config.origin)
	}));
	return idempotentResponse(outcome);
};
