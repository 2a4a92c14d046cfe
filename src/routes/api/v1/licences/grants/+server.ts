import { auditContext, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { grantLicences } from '#lib/server/licences';
import { platform } from '#lib/server/platform';
import { zGrantLicencesBody } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** POST /api/v1/licences/grants — grant, top-up or correction with a reason (licences:grant, platform admins; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'licences:grant');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zGrantLicencesBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await grantLicences(tx, body, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
};
