import type { Db } from '#lib/server/db/client';
import { getTenant, getUser } from '#lib/server/tenancy';
import type { Actor } from './guard';
import { ACTIONS, can } from './policy';

/** The caller as `GET /api/v1/me` shows it: roles, allowed actions, tenant. */
export async function describeActor(db: Db, actor: Actor) {
	const [user, tenant] = await Promise.all([
		actor.kind === 'user' ? getUser(db, actor.id) : null,
		actor.tenantId ? getTenant(db, actor.tenantId) : null
	]);
	return {
		kind: actor.kind,
		id: actor.id,
		displayName: actor.displayName ?? null,
		email: user?.email ?? null,
		roles: actor.roles,
		actions: ACTIONS.filter((a) => can(actor, a)),
		tenant: tenant ? { id: tenant.id, slug: tenant.slug, name: tenant.name } : null
	};
}
