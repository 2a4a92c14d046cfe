import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { AuditContext } from './audit-context';
import { decodeCursor, encodeCursor } from '#lib/server/http/cursor';
import { memberships, organisations, tenants, type Tenant } from './schema';

export const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

export type TenantSummary = Tenant & { members: number };

/**
 * Members and pending invitations of the tenant row in the outer query. The
 * columns are qualified by hand: drizzle renders `${tenants.id}` inside
 * `sql` as a bare "id" in a single-table select, which the subquery read as
 * memberships.id, so every tenant counted 0 members.
 */
const memberCount = sql<number>`(select count(*)::int from ${memberships} where ${memberships}.${sql.identifier(memberships.tenantId.name)} = ${tenants}.${sql.identifier(tenants.id.name)})`;

async function insertTenant(tx: Tx, input: { slug: string; name: string }): Promise<Tenant | null> {
	const [tenant] = await tx.insert(tenants).values(input).onConflictDoNothing({ target: tenants.slug }).returning();
	if (!tenant) return null;
	await tx.insert(organisations).values({ tenantId: tenant.id, name: input.name, isDefault: true });
	return tenant;
}

/**
 * Creates a tenant with its default organisation (platform admin), in the
 * caller's transaction with its audit row. A taken slug is a 409 `conflict`.
 */
export async function createTenant(tx: Tx, input: { slug: string; name: string }, ctx: AuditContext): Promise<Tenant> {
	const tenant = await insertTenant(tx, input);
	if (!tenant) {
		throw new ApiError('conflict', `A tenant with the short name "${input.slug}" exists already.`, [{ field: 'slug', problem: 'taken' }]);
	}
	await recordAudit(tx, { ...ctx, tenantId: tenant.id, action: 'tenant.create', target: `tenant:${tenant.id}`, result: 'success', details: { slug: tenant.slug } });
	return tenant;
}

/** Idempotent: the tenant with this slug, created (without audit: seeding) when missing. */
export async function ensureTenant(db: Db, input: { slug: string; name: string }): Promise<Tenant> {
	return db.transaction(async (tx) => {
		const created = await insertTenant(tx, input);
		if (created) return created;
		const [existing] = await tx.select().from(tenants).where(eq(tenants.slug, input.slug));
		return existing;
	});
}

export async function getTenant(db: DbOrTx, id: string): Promise<TenantSummary | null> {
	const [row] = await db
		.select({ tenant: tenants, members: memberCount })
		.from(tenants)
		.where(eq(tenants.id, id));
	return row ? { ...row.tenant, members: row.members } : null;
}

/** Id, slug and name of the given tenants (unknown ids are absent). */
export async function tenantRefs(db: DbOrTx, ids: string[]): Promise<Map<string, { id: string; slug: string; name: string }>> {
	if (!ids.length) return new Map();
	const rows = await db.select({ id: tenants.id, slug: tenants.slug, name: tenants.name }).from(tenants).where(inArray(tenants.id, ids));
	return new Map(rows.map((t) => [t.id, t]));
}

export async function tenantsBySlug(db: DbOrTx, slugs: string[]): Promise<Map<string, Tenant>> {
	if (!slugs.length) return new Map();
	const rows = await db.select().from(tenants).where(inArray(tenants.slug, slugs));
	return new Map(rows.map((t) => [t.slug, t]));
}

/** All tenants by slug, cursor-paginated (`{ items, nextCursor }`, like every list). */
export async function listTenants(db: DbOrTx, page: { cursor?: string; limit: number }): Promise<{ items: TenantSummary[]; nextCursor: string | null }> {
	const after = page.cursor ? decodeCursor(page.cursor) : null;
	const rows = await db
		.select({ tenant: tenants, members: memberCount })
		.from(tenants)
		.where(after ? and(gt(tenants.slug, after)) : undefined)
		.orderBy(asc(tenants.slug))
		.limit(page.limit + 1);
	const items = rows.slice(0, page.limit).map((r) => ({ ...r.tenant, members: r.members }));
	return { items, nextCursor: rows.length > page.limit ? encodeCursor(items[items.length - 1].slug) : null };
}

export async function defaultOrganisation(db: DbOrTx, tenantId: string): Promise<string> {
	const [org] = await db
		.select({ id: organisations.id })
		.from(organisations)
		.where(and(eq(organisations.tenantId, tenantId), eq(organisations.isDefault, true)));
	if (!org) throw new Error(`tenant ${tenantId} has no default organisation`);
	return org.id;
}
