import { auditContext, describeActor, switchSessionTenant, type Role } from '#lib/server/auth';
import { operation } from '#lib/server/route';

/** PUT /api/v1/me/tenant — work in another of my tenants for the rest of this session (audited). */
export const PUT = operation('switchTenant', async ({ tx, actor, body, event }) => {
	const session = { id: actor.sessionId ?? '', userId: actor.id, tenantId: actor.tenantId };
	const { role } = await switchSessionTenant(tx, session, body.tenantId, auditContext(event, actor));
	const roles: Role[] = actor.roles.includes('platform_admin') ? ['platform_admin', role] : [role];
	return { status: 200, body: await describeActor(tx, { ...actor, tenantId: body.tenantId, roles }) };
});
