import type { PlatformUser, TenantSettings } from '#lib/api/types.gen';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { AuditContext } from './audit-context';
import { decodeKeyset, encodeKeyset } from '#lib/server/http/cursor';
import { memberships, tenantLogos, tenants, users, type MembershipRole, type Tenant } from './schema';
import { getTenant, type TenantSummary } from './tenants';

export type TenantLanguage = Tenant['language'];
export type TenantStatus = Tenant['status'];
/** The API's tenant settings (openapi TenantSettings): the contract is the one definition of this shape. */
export type TenantSettingsView = TenantSettings;

/** Largest logo accepted (tenant settings): a header image, not a photo album. */
export const LOGO_MAX_BYTES = 256 * 1024;

async function tenantRow(db: DbOrTx, tenantId: string): Promise<Tenant> {
	const [t] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
	if (!t) throw new ApiError('not_found', 'No tenant with this id.');
	return t;
}

async function settingsView(db: DbOrTx, t: Tenant): Promise<TenantSettingsView> {
	const [logo] = await db.select({ id: tenantLogos.tenantId }).from(tenantLogos).where(eq(tenantLogos.tenantId, t.id));
	return { id: t.id, slug: t.slug, name: t.name, language: t.language, status: t.status, hasLogo: Boolean(logo), timeZone: t.timeZone, certificateOperator: t.certificateOperator, lowBalanceThreshold: t.lowBalanceThreshold };
}

export async function getTenantSettings(db: DbOrTx, tenantId: string): Promise<TenantSettingsView> {
	return settingsView(db, await tenantRow(db, tenantId));
}

/** Is `zone` an IANA time zone this runtime knows (ICU's database)? */
export function isTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

/**
 * Does PostgreSQL know `zone` too? Monthly reports count a tenant's months
 * and days there (`at time zone`), so a zone only ICU knows would fail them.
 */
async function postgresKnowsTimeZone(db: DbOrTx, zone: string): Promise<boolean> {
	const [row] = await db.execute<{ known: boolean }>(sql`select exists (select 1 from pg_timezone_names where name = ${zone}) as known`);
	return row?.known === true;
}

export type TenantSettingsChange = { name?: string; language?: TenantLanguage; timeZone?: string; certificateOperator?: Tenant['certificateOperator']; lowBalanceThreshold?: number };

/**
 * A tenant admin renames the tenant or changes its language, time zone, what
 * certificates show of the operator or the low-balance threshold; audited
 * with the before/after values of what changed.
 */
export async function updateTenantSettings(tx: Tx, tenantId: string, change: TenantSettingsChange, ctx: AuditContext): Promise<TenantSettingsView> {
	const before = await tenantRow(tx, tenantId);
	const set: Partial<Pick<Tenant, 'name' | 'language' | 'timeZone' | 'certificateOperator' | 'lowBalanceThreshold'>> = {
		...(change.name !== undefined ? { name: change.name.trim() } : {}),
		...(change.language ? { language: change.language } : {}),
		...(change.timeZone !== undefined ? { timeZone: change.timeZone.trim() } : {}),
		...(change.certificateOperator ? { certificateOperator: change.certificateOperator } : {}),
		...(change.lowBalanceThreshold !== undefined ? { lowBalanceThreshold: change.lowBalanceThreshold } : {})
	};
	if (set.name === '') throw new ApiError('validation_failed', undefined, [{ field: 'name', problem: 'must not be blank' }]);
	if (set.timeZone !== undefined && !(isTimeZone(set.timeZone) && (await postgresKnowsTimeZone(tx, set.timeZone)))) throw new ApiError('validation_failed', undefined, [{ field: 'timeZone', problem: 'is not a known IANA time zone' }]);
	const keys = Object.keys(set) as (keyof typeof set)[];
	if (!keys.length) throw new ApiError('validation_failed', undefined, [{ problem: 'name, language, timeZone, certificateOperator or lowBalanceThreshold is required' }]);
	const [after] = await tx.update(tenants).set(set).where(eq(tenants.id, tenantId)).returning();
	await recordAudit(tx, {
		...ctx,
		tenantId,
		action: 'tenant.settings',
		target: `tenant:${tenantId}`,
		result: 'success',
		details: { before: Object.fromEntries(keys.map((k) => [k, before[k]])), after: Object.fromEntries(keys.map((k) => [k, after[k]])) }
	});
	return settingsView(tx, after);
}

/** Image types a logo may have, recognised by their magic bytes (a Content-Type header alone is not trusted). */
function sniffImage(bytes: Uint8Array): 'image/png' | 'image/jpeg' | 'image/webp' | null {
	const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
	if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
	if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
	return null;
}

/** Stores (replaces) the tenant's logo: PNG, JPEG or WebP by content, ≤ LOGO_MAX_BYTES; audited. */
export async function putTenantLogo(tx: Tx, tenantId: string, bytes: Uint8Array, ctx: AuditContext): Promise<TenantSettingsView> {
	if (bytes.byteLength > LOGO_MAX_BYTES) throw new ApiError('payload_too_large', `A logo may be at most ${LOGO_MAX_BYTES / 1024} KiB.`);
	const contentType = sniffImage(bytes);
	if (!contentType) throw new ApiError('unsupported_media_type', 'A logo must be a PNG, JPEG or WebP image.');
	const t = await tenantRow(tx, tenantId);
	const data = Buffer.from(bytes);
	await tx
		.insert(tenantLogos)
		.values({ tenantId, contentType, bytes: data })
		.onConflictDoUpdate({ target: tenantLogos.tenantId, set: { contentType, bytes: data, updatedAt: sql`now()` } });
	await recordAudit(tx, { ...ctx, tenantId, action: 'tenant.logo', target: `tenant:${tenantId}`, result: 'success', details: { contentType, bytes: bytes.byteLength } });
	return settingsView(tx, t);
}

/** The tenant's logo, or null when it has none. */
export async function getTenantLogo(db: DbOrTx, tenantId: string): Promise<{ contentType: string; bytes: Buffer; updatedAt: Date } | null> {
	const [logo] = await db.select().from(tenantLogos).where(eq(tenantLogos.tenantId, tenantId));
	return logo ?? null;
}

/** Is the tenant allowed to submit proofs? (A suspended tenant is not; unknown → false.) */
export async function tenantIsActive(db: DbOrTx, tenantId: string): Promise<boolean> {
	// through tenant_is_active (drizzle/0013): the ingest role may ask this, and may not read tenants
	const [row] = await db.execute<{ active: boolean }>(sql`select tenant_is_active(${tenantId}::uuid) as active`);
	return row?.active === true;
}

/** A platform admin suspends or reactivates a tenant, with a reason; audited on the tenant's chain. */
export async function changeTenantStatus(tx: Tx, tenantId: string, change: { status: TenantStatus; reason: string }, ctx: AuditContext): Promise<TenantSummary> {
	const before = await tenantRow(tx, tenantId);
	await tx.update(tenants).set({ status: change.status }).where(eq(tenants.id, tenantId));
	await recordAudit(tx, {
		...ctx,
		tenantId,
		action: change.status === 'suspended' ? 'tenant.suspend' : 'tenant.reactivate',
		target: `tenant:${tenantId}`,
		result: 'success',
		details: { from: before.status, to: change.status, reason: change.reason }
	});
	return (await getTenant(tx, tenantId))!;
}

/** The API's platform user (openapi PlatformUser). */
export type PlatformUserView = PlatformUser;

async function withMemberships(db: DbOrTx, rows: (typeof users.$inferSelect)[]): Promise<PlatformUserView[]> {
	const ids = rows.map((u) => u.id);
	const ms = ids.length
		? await db
				.select({ userId: memberships.userId, tenant: tenants.slug, role: memberships.role })
				.from(memberships)
				.innerJoin(tenants, eq(tenants.id, memberships.tenantId))
				.where(inArray(memberships.userId, ids))
				.orderBy(asc(tenants.slug))
		: [];
	return rows.map((u) => ({
		id: u.id,
		email: u.email,
		displayName: u.displayName,
		platformAdmin: u.platformAdmin,
		lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
		memberships: ms.filter((m) => m.userId === u.id).map((m) => ({ tenant: m.tenant, role: m.role }))
	}));
}

/** Everyone who signed in at least once, by e-mail address, with their tenant roles (console). */
export async function listPlatformUsers(db: Db, page: { cursor?: string; limit?: number }) {
	const limit = page.limit ?? 50;
	const cursor = page.cursor ? decodeKeyset(page.cursor) : null;
	const after = cursor && `${cursor.key}|${cursor.id}`;
	const key = sql<string>`coalesce(lower(${users.email}), '') || '|' || ${users.id}::text`;
	const rows = await db
		.select()
		.from(users)
		.where(after ? gt(key, after) : undefined)
		.orderBy(asc(key))
		.limit(limit + 1);
	const items = await withMemberships(db, rows.slice(0, limit));
	const last = rows[limit - 1];
	return { items, nextCursor: rows.length > limit ? encodeKeyset((last.email ?? '').toLowerCase(), last.id) : null };
}

/**
 * Grants or withdraws the platform admin role. Withdrawing the last admin's
 * role would lock everyone out of the console: 409. Audited on the platform chain.
 */
export async function setPlatformAdmin(tx: Tx, userId: string, platformAdmin: boolean, ctx: AuditContext): Promise<PlatformUserView> {
	// Serialise changes of the admin set so two admins cannot demote each other at once.
	await tx.execute(sql`select pg_advisory_xact_lock(hashtext('wipecert.platform_admins'))`);
	const [u] = await tx.select().from(users).where(eq(users.id, userId));
	if (!u) throw new ApiError('not_found', 'No person with this id.');
	if (u.platformAdmin && !platformAdmin) {
		const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(users).where(eq(users.platformAdmin, true));
		if (n <= 1) throw new ApiError('conflict', 'This is the last platform admin; grant the role to someone else first.');
	}
	const [after] = await tx.update(users).set({ platformAdmin }).where(and(eq(users.id, userId))).returning();
	await recordAudit(tx, {
		...ctx,
		tenantId: null,
		action: platformAdmin ? 'user.platform_admin.grant' : 'user.platform_admin.withdraw',
		target: `user:${userId}`,
		result: 'success'
	});
	return (await withMemberships(tx, [after]))[0];
}
