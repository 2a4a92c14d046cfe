import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { changeMemberRole, createTenant, createTenantWithFirstAdmin, ensureDevTenants, getTenant, inviteMember, inviteToTenant, listMembers, listTenants, membershipsOf, removeMember, upsertUserFromClaims, type IdentityClaims } from './index';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let ids: { acme: string; globex: string };
const ctx = { actor: { kind: 'user', id: randomUUID(), role: 'tenant_admin' }, correlationId: 'test', sourceIp: '127.0.0.1' };

beforeAll(async () => {
	t = await createTestDatabase();
	db = t.database.db;
	ids = await ensureDevTenants(db);
});
afterAll(async () => {
	await t.drop();
});

const claims = (email: string, groups: IdentityClaims['tenantRoles'], sub = email): IdentityClaims => ({
	issuer: 'https://idp.test/realms/x',
	subject: sub,
	email,
	emailVerified: true,
	displayName: email.split('@')[0],
	tenantRoles: groups
});
const signIn = (c: IdentityClaims, bootstrap: string[] = []) => db.transaction((tx) => upsertUserFromClaims(tx, c, bootstrap));
const inviteMemberTx = (...a: Parameters<typeof inviteMember> extends [unknown, ...infer R] ? R : never) => db.transaction((tx) => inviteMember(tx, ...a));
const changeMemberRoleTx = (...a: Parameters<typeof changeMemberRole> extends [unknown, ...infer R] ? R : never) => db.transaction((tx) => changeMemberRole(tx, ...a));
const removeMemberTx = (...a: Parameters<typeof removeMember> extends [unknown, ...infer R] ? R : never) => db.transaction((tx) => removeMember(tx, ...a));
const createTenantTx = (...a: Parameters<typeof createTenant> extends [unknown, ...infer R] ? R : never) => db.transaction((tx) => createTenant(tx, ...a));
const codeOf = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (e instanceof ApiError ? e.code : String(e)));

describe('users and memberships from claims', () => {
	it('creates the person once, memberships follow the group claim at every sign-in', async () => {
		const u1 = await signIn(claims('ann@acme.test', [{ slug: 'acme', role: 'operator' }, { slug: 'nope', role: 'viewer' }]));
		expect(await membershipsOf(db, u1.id)).toEqual([{ tenantId: ids.acme, slug: 'acme', name: 'Acme Recycling', role: 'operator' }]);
		const u2 = await signIn(claims('ann@acme.test', [{ slug: 'acme', role: 'viewer' }, { slug: 'acme', role: 'tenant_admin' }, { slug: 'globex', role: 'viewer' }]));
		expect(u2.id).toBe(u1.id);
		expect((await membershipsOf(db, u1.id)).map((m) => `${m.slug}:${m.role}`)).toEqual(['acme:tenant_admin', 'globex:viewer']);
		await signIn(claims('ann@acme.test', []));
		expect(await membershipsOf(db, u1.id)).toEqual([]);
	});

	it('platform admin from the bootstrap list only with a verified address, and it stays', async () => {
		const unverified = await signIn({ ...claims('root@example.test', [], 'root-1'), emailVerified: false }, ['root@example.test']);
		expect(unverified.platformAdmin).toBe(false);
		const verified = await signIn(claims('root@example.test', [], 'root-1'), ['root@example.test']);
		expect(verified.platformAdmin).toBe(true);
		expect((await signIn(claims('root@example.test', [], 'root-1'), [])).platformAdmin).toBe(true);
	});
});

describe('members of a tenant', () => {
	it('invites by e-mail; the invitation is accepted at the first verified sign-in', async () => {
		const m = await inviteMemberTx(ids.globex, { email: 'New.Hire@Globex.test', role: 'viewer' }, { ...ctx, userId: null });
		expect(m).toMatchObject({ email: 'new.hire@globex.test', status: 'invited', managedBy: 'app', role: 'viewer' });
		expect(await codeOf(inviteMemberTx(ids.globex, { email: 'new.hire@globex.test', role: 'operator' }, { ...ctx, userId: null }))).toBe('conflict');
		const u = await signIn(claims('new.hire@globex.test', []));
		expect((await membershipsOf(db, u.id)).map((x) => `${x.slug}:${x.role}`)).toEqual(['globex:viewer']);
		const list = await listMembers(db, ids.globex, { limit: 50 });
		expect(list.items.find((x) => x.id === m.id)?.status).toBe('active');
	});

	it('changes roles of app-managed members only; IdP-managed ones answer conflict', async () => {
		const invited = await inviteMemberTx(ids.acme, { email: 'temp@acme.test', role: 'viewer' }, { ...ctx, userId: null });
		expect((await changeMemberRoleTx(ids.acme, invited.id, 'operator', ctx)).role).toBe('operator');
		const claimUser = await signIn(claims('claimed@acme.test', [{ slug: 'acme', role: 'viewer' }]));
		const row = (await listMembers(db, ids.acme, { limit: 200 })).items.find((x) => x.email === 'claimed@acme.test')!;
		expect(row.managedBy).toBe('identity_provider');
		expect(await codeOf(changeMemberRoleTx(ids.acme, row.id, 'operator', ctx))).toBe('conflict');
		expect(await codeOf(removeMemberTx(ids.acme, row.id, ctx))).toBe('conflict');
		expect(claimUser.id).toBeTruthy();
	});

	it('another tenant’s membership is not found (404), whatever the operation', async () => {
		const theirs = await inviteMemberTx(ids.globex, { email: 'x@globex.test', role: 'viewer' }, { ...ctx, userId: null });
		expect(await codeOf(changeMemberRoleTx(ids.acme, theirs.id, 'operator', ctx))).toBe('not_found');
		expect(await codeOf(removeMemberTx(ids.acme, theirs.id, ctx))).toBe('not_found');
		expect((await listMembers(db, ids.acme, { limit: 200 })).items.filter((x) => x.id === theirs.id)).toEqual([]);
	});

	it('keeps one active tenant admin', async () => {
		const tenant = await createTenantTx({ slug: 'solo', name: 'Solo' }, ctx);
		const admin = await signIn(claims('boss@solo.test', []));
		const inv = await inviteMemberTx(tenant.id, { email: 'boss@solo.test', role: 'tenant_admin' }, { ...ctx, userId: null });
		expect(inv.status).toBe('active');
		expect(await codeOf(changeMemberRoleTx(tenant.id, inv.id, 'viewer', ctx))).toBe('conflict');
		expect(await codeOf(removeMemberTx(tenant.id, inv.id, ctx))).toBe('conflict');
		expect(admin.id).toBeTruthy();
	});

	it('paginates members with an opaque cursor; a forged cursor is a 400', async () => {
		for (let i = 0; i < 5; i++) await inviteMemberTx(ids.globex, { email: `p${i}@globex.test`, role: 'viewer' }, { ...ctx, userId: null });
		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await listMembers(db, ids.globex, { cursor, limit: 2 });
			seen.push(...page.items.map((x) => x.id));
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		expect(new Set(seen).size).toBe(seen.length);
		expect(seen.length).toBeGreaterThanOrEqual(6);
		expect(await codeOf(listMembers(db, ids.globex, { cursor: 'not-a-cursor', limit: 2 }))).toBe('bad_request');
	});
});

describe('tenants', () => {
	it('creates with a default organisation; a taken short name is a conflict; lists by short name', async () => {
		await createTenantTx({ slug: 'initech', name: 'Initech' }, ctx);
		expect(await codeOf(createTenantTx({ slug: 'initech', name: 'Again' }, ctx))).toBe('conflict');
		const page1 = await listTenants(db, { limit: 2 });
		expect(page1.items.map((x) => x.slug)).toEqual(['acme', 'globex']);
		const page2 = await listTenants(db, { limit: 2, cursor: page1.nextCursor! });
		expect(page2.items[0].slug).toBe('initech');
	});
});

describe('the first admin of a new tenant (platform admin invites)', () => {
	const admin = { ...ctx, actor: { kind: 'user', id: randomUUID(), role: 'platform_admin' }, userId: null };

	it('invites through the tenancy invitation, accepted at first sign-in; member counts follow', async () => {
		const tenant = await db.transaction((tx) => createTenantWithFirstAdmin(tx, { slug: 'umbrella', name: 'Umbrella' }, admin));
		expect(tenant.members).toBe(0);
		const invited = await db.transaction((tx) => inviteToTenant(tx, tenant.id, { email: 'First.Admin@Umbrella.test', role: 'tenant_admin' }, admin));
		expect(invited).toMatchObject({ email: 'first.admin@umbrella.test', status: 'invited', role: 'tenant_admin', managedBy: 'app' });
		expect((await getTenant(db, tenant.id))?.members).toBe(1);
		// no group claim at all: the invitation alone makes the membership
		const u = await signIn(claims('first.admin@umbrella.test', []));
		expect(await membershipsOf(db, u.id)).toEqual([{ tenantId: tenant.id, slug: 'umbrella', name: 'Umbrella', role: 'tenant_admin' }]);
		const listed = (await listTenants(db, { limit: 10 })).items.find((x) => x.slug === 'umbrella');
		expect(listed?.members).toBe(1);
	});

	it('an unknown tenant is not found; the same address twice is a conflict', async () => {
		expect(await codeOf(db.transaction((tx) => inviteToTenant(tx, randomUUID(), { email: 'x@y.test', role: 'viewer' }, admin)))).toBe('not_found');
		const tenant = await db.transaction((tx) => createTenantWithFirstAdmin(tx, { slug: 'hooli', name: 'Hooli', firstAdminEmail: 'gavin@hooli.test' }, admin));
		expect(tenant.members).toBe(1);
		expect(await codeOf(db.transaction((tx) => inviteToTenant(tx, tenant.id, { email: 'gavin@hooli.test', role: 'viewer' }, admin)))).toBe('conflict');
	});
});
