import type { DbOrTx } from '#lib/server/db/client';
import { getTenantSettings, getUser, membershipsOf } from '#lib/server/tenancy';
import type { Actor } from './guard';
import { ACTIONS, can, TENANT_WRITE_ACTIONS } from './policy';

/**
 * The caller as `GET /api/v1/me` shows it: roles, the actions they may
 * perform now (a suspended tenant's write actions left out), their tenant
 * with its status and time zone, and the tenants a person may switch to.
 */
export async function describeActor(db: DbOrTx, actor: Actor) {
	const [user, tenant, memberships] = await Promise.all([
		actor.kind === 'user' ? getUser(db, actor.id) : null,
		actor.tenantId ? getTenantSettings(db, actor.tenantId) : null,
		actor.kind === 'user' ? membershipsOf(db, actor.id) : []
	]);
	const suspended = tenant?.status === 'suspended';
	return {
		kind: actor.kind,
		id: actor.id,
		displayName: actor.displayName ?? null,
		email: user?.email ?? null,
		roles: actor.roles,
		actions: ACTIONS.filter((a) => can(actor, a) && !(suspended && TENANT_WRITE_ACTIONS.includes(a))),
		tenant: tenant ? { id: tenant.id, slug: tenant.slug, name: tenant.name } : null,
		tenantStatus: tenant?.status ?? null,
		timeZone: tenant?.timeZone ?? 'UTC',
		memberships: memberships.map((m) => ({ tenant: { id: m.tenantId, slug: m.slug, name: m.name }, role: m.role }))
	};
}
