import { operation } from '#lib/server/route';
import { inviteMember, listMembers } from '#lib/server/tenancy';

/** GET /api/v1/members — the caller's tenant only. */
export const GET = operation('listMembers', ({ app, tenantId, query }) => listMembers(app.database.db, tenantId, query));

/** POST /api/v1/members — invite by e-mail (audited). */
export const POST = operation('inviteMember', async ({ tx, tenantId, body, audit, actor }) => ({
	status: 201,
	body: await inviteMember(tx, tenantId, body, { ...audit, userId: actor.kind === 'user' ? actor.id : null })
}));
