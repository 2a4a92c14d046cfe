import { json } from '@sveltejs/kit';
import { auditContext, requireActor, requireTenant } from '#lib/server/auth';
import { parseJsonBody } from '#lib/server/http/body';
import { parseQuery } from '#lib/server/http/query';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { inviteMember, listMembers } from '#lib/server/tenancy';
import { zInviteMemberBody, zListMembersQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/members — the caller's tenant only (members:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'members:read'));
	const query = parseQuery(event.url, zListMembersQuery, ['limit']);
	return json(await listMembers(platform().database.db, tenantId, { cursor: query.cursor, limit: query.limit }));
};

/** POST /api/v1/members — invite by e-mail (members:manage; audited; Idempotency-Key). */
export const POST: RequestHandler = async (event) => {
	const actor = requireActor(event, 'members:manage');
	const tenantId = requireTenant(actor);
	const { config, database } = platform();
	const body = await parseJsonBody(event.request, zInviteMemberBody, config.JSON_BODY_MAX_BYTES);
	const ctx = { ...auditContext(event, actor), userId: actor.kind === 'user' ? actor.id : null };
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(JSON.stringify(body)) }, async (tx) => ({
		status: 201,
		body: await inviteMember(tx, tenantId, body, ctx)
	}));
	return idempotentResponse(outcome);
};
