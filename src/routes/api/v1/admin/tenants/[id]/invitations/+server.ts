import { auditContext, requireActor } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { inviteToTenant } from '#lib/server/tenancy';
import { zInviteTenantMemberBody, zInviteTenantMemberPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/**
 * POST /api/v1/admin/tenants/{id}/invitations — a platform admin invites
 * someone (a new tenant's first tenant admin) to a tenant (admin:tenants;
 * audited; Idempotency-Key). Same invitation as POST /api/v1/members.
 */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'admin:tenants');
	const path = zInviteTenantMemberPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No tenant with this id.');
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zInviteTenantMemberBody, config.JSON_BODY_MAX_BYTES);
	const ctx = { ...auditContext(event, actor), userId: actor.kind === 'user' ? actor.id : null };
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id, JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await inviteToTenant(tx, path.data.id, body, ctx)
	}));
	return idempotentResponse(outcome);
};
