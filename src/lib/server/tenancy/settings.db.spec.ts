import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { tenants, users } from './schema';
import { changeTenantStatus, getTenantLogo, getTenantSettings, putTenantLogo, setPlatformAdmin, tenantIsActive, updateTenantSettings } from './settings';

/** Tenant settings, suspension and the platform admin role on a real database. */
let t: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
const ctx = { actor: { kind: 'user', id: 'u-admin', role: 'platform_admin' }, correlationId: 'test', sourceIp: null };
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof ApiError ? e.code : String(e)));

beforeAll(async () => {
	t = await createTestDatabase();
	db = t.database.db;
});
afterAll(async () => t?.drop());

describe('tenant settings', () => {
	it('renames and changes language, audited; a blank name or an empty change is refused', async () => {
		const [row] = await db.insert(tenants).values({ slug: 'set-a', name: 'Set A' }).returning();
		const after = await db.transaction((tx) => updateTenantSettings(tx, row.id, { name: '  Set A Ltd ', language: 'de' }, ctx));
		expect(after).toMatchObject({ name: 'Set A Ltd', language: 'de', status: 'active', hasLogo: false });
		expect(await code(db.transaction((tx) => updateTenantSettings(tx, row.id, { name: '   ' }, ctx)))).toBe('validation_failed');
		expect(await code(db.transaction((tx) => updateTenantSettings(tx, row.id, {}, ctx)))).toBe('validation_failed');
		const audit = await db.execute<{ action: string }>(sql`select action from audit_events where tenant_id = ${row.id}`);
		expect([...audit].map((a) => a.action)).toEqual(['tenant.settings']);
	});

	it('takes a PNG logo by its bytes, refuses SVG and oversize images', async () => {
		const [row] = await db.insert(tenants).values({ slug: 'set-b', name: 'Set B' }).returning();
		expect(await getTenantLogo(db, row.id)).toBeNull();
		const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
		expect(await code(db.transaction((tx) => putTenantLogo(tx, row.id, svg, ctx)))).toBe('unsupported_media_type');
		expect(await code(db.transaction((tx) => putTenantLogo(tx, row.id, Buffer.concat([PNG, Buffer.alloc(300 * 1024)]), ctx)))).toBe('payload_too_large');
		await db.transaction((tx) => putTenantLogo(tx, row.id, PNG, ctx));
		expect(await getTenantLogo(db, row.id)).toMatchObject({ contentType: 'image/png' });
		expect((await getTenantSettings(db, row.id)).hasLogo).toBe(true);
	});

	it('a suspended tenant is not active; reactivation makes it active again', async () => {
		const [row] = await db.insert(tenants).values({ slug: 'set-c', name: 'Set C' }).returning();
		expect(await tenantIsActive(db, row.id)).toBe(true);
		await db.transaction((tx) => changeTenantStatus(tx, row.id, { status: 'suspended', reason: 'unpaid' }, ctx));
		expect(await tenantIsActive(db, row.id)).toBe(false);
		await db.transaction((tx) => changeTenantStatus(tx, row.id, { status: 'active', reason: 'paid' }, ctx));
		expect(await tenantIsActive(db, row.id)).toBe(true);
	});

	it('never withdraws the platform admin role from the last platform admin', async () => {
		const [a] = await db.insert(users).values({ issuer: 'test', subject: 'a', email: 'a@example.test', platformAdmin: true }).returning();
		const [b] = await db.insert(users).values({ issuer: 'test', subject: 'b', email: 'b@example.test' }).returning();
		expect(await code(db.transaction((tx) => setPlatformAdmin(tx, a.id, false, ctx)))).toBe('conflict');
		await db.transaction((tx) => setPlatformAdmin(tx, b.id, true, ctx));
		expect((await db.transaction((tx) => setPlatformAdmin(tx, a.id, false, ctx))).platformAdmin).toBe(false);
		const [stillAdmin] = await db.select().from(users).where(eq(users.id, b.id));
		expect(stillAdmin.platformAdmin).toBe(true);
		expect(await code(db.transaction((tx) => setPlatformAdmin(tx, b.id, false, ctx)))).toBe('conflict');
	});
});
