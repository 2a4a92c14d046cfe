import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { changeMemberRole, removeMember } from '#lib/server/tenancy';
import { zChangeMemberRoleBody, zChangeMemberRolePath } from '#lib/api/zod.gen';
import type { RequestEvent } from './$types';

/** A malformed id cannot name a member of the caller's tenant: 404, like another tenant's. */
function memberId(event: RequestEvent): string {
	const path = zChangeMemberRolePath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No member with this id in your tenant.');
	return path.data.id;
}

/** PATCH /api/v1/members/{id} — change an app-managed member's role (members:manage; audited; Idempotency-Key). */
export async function PATCH(event: RequestEvent) {
	const actor = requireActor(event, 'members:manage');
	const tenantId = requireTenant(actor);
	const id = memberId(event);
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zChangeMemberRoleBody, config.JSON_BODY_MAX_BYTES);
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(id, JSON.stringify(body)) }, async (tx) => ({
		status: 200,
		body: await changeMemberRole(tx, tenantId, id, body.role, auditContext(event, actor))
	}));
	return idempotentResponse(outcome);
}

/** DELETE /api/v1/members/{id} — remove a member or withdraw an invitation (members:manage; audited; Idempotency-Key). */
export async function DELETE(event: RequestEvent) {
	const actor = requireActor(event, 'members:manage');
	const tenantId = requireTenant(actor);
	const id = memberId(event);
	const outcome = await runIdempotent(platform().database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(id) }, async (tx) => {
		await removeMember(tx, tenantId, id, auditContext(event, actor));
		return { status: 204, body: null };
	});
	return idempotentResponse(outcome);
}
