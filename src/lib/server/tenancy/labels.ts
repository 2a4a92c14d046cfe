import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { memberships, tenants, users } from './schema';

const uuids = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));

/** Names and e-mail addresses of people by id (audit views); unknown ids are absent. */
export async function peopleByIds(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, { name: string | null; email: string | null }>> {
	const list = uuids(ids);
	if (!list.length) return new Map();
	const rows = await db.select({ id: users.id, name: users.displayName, email: users.email }).from(users).where(inArray(users.id, list));
	return new Map(rows.map((r) => [r.id, { name: r.name, email: r.email }]));
}

/** The e-mail address a membership (or invitation) is for, by membership id. */
export async function membershipLabels(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, string>> {
	const list = uuids(ids);
	if (!list.length) return new Map();
	const rows = await db
		.select({ id: memberships.id, invited: memberships.email, email: users.email })
		.from(memberships)
		.leftJoin(users, eq(users.id, memberships.userId))
		.where(inArray(memberships.id, list));
	const out = new Map<string, string>();
	for (const r of rows) {
		const label = r.email ?? r.invited;
		if (label) out.set(r.id, label);
	}
	return out;
}

/** Tenant names by id. */
export async function tenantNames(db: DbOrTx, ids: Iterable<string>): Promise<Map<string, string>> {
	const list = uuids(ids);
	if (!list.length) return new Map();
	const rows = await db.select({ id: tenants.id, name: tenants.name }).from(tenants).where(inArray(tenants.id, list));
	return new Map(rows.map((r) => [r.id, r.name]));
}
