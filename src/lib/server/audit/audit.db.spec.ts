import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { GENESIS_HASH, rowHash } from './chain';
import { listAudit, listTenantAudit, recordAudit, verifyAuditChain, type AuditEntry } from './index';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let wide: Database;
beforeAll(async () => {
	t = await createTestDatabase();
	// a bigger pool than the default 5, so concurrent writers really run at once
	wide = openDatabase(t.url, 20);
});
afterAll(async () => {
	await wide.close(1);
	await t.drop();
});

const entry = (over: Partial<AuditEntry> = {}): AuditEntry => ({
	actor: { kind: 'user', id: randomUUID(), role: 'tenant_admin' },
	tenantId: null,
	action: 'test.action',
	target: 'thing:1',
	result: 'success',
	correlationId: randomUUID(),
	sourceIp: '192.0.2.10',
	details: {},
	...over
});

async function record(n: number, over: Partial<AuditEntry> = {}) {
	for (let i = 0; i < n; i++) await t.database.db.transaction((tx) => recordAudit(tx, entry({ target: `thing:${i + 1}`, ...over })));
}

/** Tampering as an attacker with the owner's rights would: switch the append-only trigger off, change rows, switch it on. */
async function tamper(statement: string, params: (string | number)[] = []) {
	await t.database.sql.begin(async (sql) => {
		await sql.unsafe('alter table audit_events disable trigger user');
		await sql.unsafe(statement, params);
		await sql.unsafe('alter table audit_events enable trigger user');
	});
}

describe('recordAudit and verifyAuditChain', () => {
	it('chains rows per tenant and for the platform; a clean chain verifies', async () => {
		const tenant = randomUUID();
		await record(3, { tenantId: tenant });
		await record(2);
		const rows = await t.database.sql`select seq, prev_hash, hash from audit_events where chain = ${tenant} order by seq`;
		expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
		expect(rows[0].prev_hash).toBe(GENESIS_HASH);
		expect(rows[1].prev_hash).toBe(rows[0].hash);
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: true, checked: 3, chains: 1 });
		expect(await verifyAuditChain(t.database.db, { tenantId: null })).toMatchObject({ ok: true, checked: 2 });
		expect(await verifyAuditChain(t.database.db)).toMatchObject({ ok: true, checked: 5, chains: 2 });
	});

	it('hashes SHA-256(prev_hash ‖ canonical row) so anyone can recompute it', async () => {
		const tenant = randomUUID();
		await record(1, { tenantId: tenant, details: { role: 'viewer', n: 1.5 } });
		const [row] = await t.database.sql`select * from audit_events where chain = ${tenant}`;
		const expected = rowHash(GENESIS_HASH, {
			chain: tenant, seq: 1, tenantId: tenant, actorKind: row.actor_kind, actorId: row.actor_id, actorRole: row.actor_role,
			action: row.action, target: row.target, result: row.result, correlationId: row.correlation_id, sourceIp: row.source_ip,
			details: row.details, createdAt: new Date(row.created_at)
		});
		expect(row.hash).toBe(expected);
	});

	it('keeps awkward details stable through jsonb (unicode, NUL, lone surrogates, numbers, dates)', async () => {
		const tenant = randomUUID();
		await record(1, {
			tenantId: tenant,
			actor: null,
			sourceIp: null,
			details: { 'ö€😀': 'x\u0000y', lone: 'a\ud800b', big: 1e21, small: 5e-324, fraction: 0.1 + 0.2, when: new Date(0) as unknown, list: [1, undefined, 'z'], nested: { z: 1, a: [{}] } }
		});
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: true, checked: 1 });
		const page = await listTenantAudit(t.database.db, tenant);
		expect(page.items[0].details).toMatchObject({ 'ö€😀': 'x\uFFFDy', lone: 'a\uFFFDb', when: '1970-01-01T00:00:00.000Z', list: [1, null, 'z'] });
		expect(page.items[0].actor).toBeNull();
	});

	it('a rolled-back transaction leaves neither a row nor a moved head', async () => {
		const tenant = randomUUID();
		await record(1, { tenantId: tenant });
		await expect(
			t.database.db.transaction(async (tx) => {
				await recordAudit(tx, entry({ tenantId: tenant }));
				throw new Error('the change failed');
			})
		).rejects.toThrow('the change failed');
		await record(1, { tenantId: tenant });
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: true, checked: 2 });
	});

	it('concurrent writers of one chain never fork it', async () => {
		const tenant = randomUUID();
		const other = randomUUID();
		await Promise.all(
			Array.from({ length: 40 }, (_, i) =>
				wide.db.transaction(async (tx) => {
					await recordAudit(tx, entry({ tenantId: i % 4 === 0 ? other : tenant, target: `thing:${i}` }));
					// hold the chain a moment, as a real mutation would
					await tx.execute(sql`select pg_sleep(0.01)`);
				})
			)
		);
		const seqs = await t.database.sql`select seq from audit_events where chain = ${tenant} order by seq`;
		expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: true, checked: 30 });
		expect(await verifyAuditChain(t.database.db, { tenantId: other })).toMatchObject({ ok: true, checked: 10 });
	});

	it('the table refuses UPDATE, DELETE and TRUNCATE', async () => {
		const tenant = randomUUID();
		await record(1, { tenantId: tenant });
		await expect(t.database.sql`update audit_events set target = 'x' where chain = ${tenant}`).rejects.toThrow(/append-only/);
		await expect(t.database.sql`delete from audit_events where chain = ${tenant}`).rejects.toThrow(/append-only/);
		await expect(t.database.sql`truncate audit_events`).rejects.toThrow(/append-only/);
	});
});

describe('tampering is found', () => {
	it('an edited row (details changed)', async () => {
		const tenant = randomUUID();
		await record(5, { tenantId: tenant });
		await tamper(`update audit_events set details = '{"role":"platform_admin"}' where chain = $1 and seq = 3`, [tenant]);
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'hash_mismatch', chain: tenant });
	});

	it('an edited row (result flipped, hash recomputed for that row only)', async () => {
		const tenant = randomUUID();
		await record(4, { tenantId: tenant, result: 'failure' });
		const [row] = await t.database.sql`select * from audit_events where chain = ${tenant} and seq = 2`;
		const forged = rowHash(row.prev_hash, {
			chain: tenant, seq: 2, tenantId: tenant, actorKind: row.actor_kind, actorId: row.actor_id, actorRole: row.actor_role, action: row.action,
			target: row.target, result: 'success', correlationId: row.correlation_id, sourceIp: row.source_ip, details: row.details, createdAt: new Date(row.created_at)
		});
		await tamper(`update audit_events set result = 'success', hash = $2 where chain = $1 and seq = 2`, [tenant, forged]);
		// row 2 is self-consistent now, but row 3 still points at the old hash
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'prev_hash_mismatch' });
	});

	it('a deleted row in the middle', async () => {
		const tenant = randomUUID();
		await record(5, { tenantId: tenant });
		await tamper(`delete from audit_events where chain = $1 and seq = 2`, [tenant]);
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'seq_gap' });
	});

	it('a deleted row in the middle, later rows renumbered', async () => {
		const tenant = randomUUID();
		await record(5, { tenantId: tenant });
		await tamper(`delete from audit_events where chain = $1 and seq = 2`, [tenant]);
		await tamper(`update audit_events set seq = seq - 1 where chain = $1 and seq > 2`, [tenant]);
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'prev_hash_mismatch' });
	});

	it('deleted rows at the end', async () => {
		const tenant = randomUUID();
		await record(5, { tenantId: tenant });
		await tamper(`delete from audit_events where chain = $1 and seq >= 4`, [tenant]);
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'head_mismatch', checked: 3 });
	});

	it('an inserted row in the middle, correctly linked to its predecessor', async () => {
		const tenant = randomUUID();
		await record(4, { tenantId: tenant });
		const [prev] = await t.database.sql`select hash from audit_events where chain = ${tenant} and seq = 2`;
		await tamper(`update audit_events set seq = seq + 1000 where chain = $1 and seq >= 3`, [tenant]);
		await tamper(`update audit_events set seq = seq - 999 where chain = $1 and seq > 1000`, [tenant]);
		const createdAt = new Date();
		const fake = { chain: tenant, seq: 3, tenantId: tenant, actorKind: 'user', actorId: 'x', actorRole: 'tenant_admin', action: 'licence.grant', target: 'tenant:x', result: 'success' as const, correlationId: 'c', sourceIp: null, details: {}, createdAt };
		await tamper(
			`insert into audit_events (chain, seq, tenant_id, actor_kind, actor_id, actor_role, action, target, result, correlation_id, details, created_at, prev_hash, hash)
			 values ($1::text, 3, $1::uuid, 'user', 'x', 'tenant_admin', 'licence.grant', 'tenant:x', 'success', 'c', '{}', $2, $3, $4)`,
			[tenant, createdAt.toISOString(), prev.hash, rowHash(prev.hash, fake)]
		);
		// the forged row verifies on its own; the original row 3 (now 4) no longer links
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'prev_hash_mismatch' });
	});

	it('an inserted row at the end (appended behind the module’s back)', async () => {
		const tenant = randomUUID();
		await record(3, { tenantId: tenant });
		const [last] = await t.database.sql`select hash from audit_events where chain = ${tenant} and seq = 3`;
		const createdAt = new Date();
		const fake = { chain: tenant, seq: 4, tenantId: tenant, actorKind: null, actorId: null, actorRole: null, action: 'x', target: 'y', result: 'success' as const, correlationId: 'c', sourceIp: null, details: {}, createdAt };
		await t.database.sql`insert into audit_events (chain, seq, tenant_id, action, target, result, correlation_id, details, created_at, prev_hash, hash)
			values (${tenant}, 4, ${tenant}, 'x', 'y', 'success', 'c', '{}', ${createdAt.toISOString()}, ${last.hash}, ${rowHash(last.hash, fake)})`;
		expect(await verifyAuditChain(t.database.db, { tenantId: tenant })).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'head_mismatch' });
	});

	it('an all-chains check names the damaged chain', async () => {
		const tenant = randomUUID();
		await record(2, { tenantId: tenant });
		await tamper(`update audit_events set target = 'elsewhere' where chain = $1 and seq = 1`, [tenant]);
		const result = await verifyAuditChain(t.database.db);
		expect(result.ok).toBe(false);
		// other tests' chains are damaged too; whichever comes first is named with its seq
		expect(result.chain).toBeTruthy();
		expect(result.firstBadSeq).toBeGreaterThan(0);
		expect(result.problem).toMatch(/\w/);
	});
});

describe('listing', () => {
	const tenant = randomUUID();
	const other = randomUUID();
	const alice = randomUUID();
	beforeAll(async () => {
		for (let i = 0; i < 7; i++) {
			await record(1, { tenantId: tenant, action: i % 2 ? 'member.invite' : 'member.remove', actor: { kind: 'user', id: i < 3 ? alice : randomUUID(), role: 'tenant_admin' }, target: `membership:${i}`, result: i === 6 ? 'failure' : 'success' });
		}
		await record(2, { tenantId: other, action: 'member.invite' });
	});

	it('pages newest first with an opaque cursor, only the tenant’s rows', async () => {
		const first = await listTenantAudit(t.database.db, tenant, { limit: 3 });
		expect(first.items.map((r) => r.target)).toEqual(['membership:6', 'membership:5', 'membership:4']);
		expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
		const second = await listTenantAudit(t.database.db, tenant, { limit: 3, cursor: first.nextCursor });
		const third = await listTenantAudit(t.database.db, tenant, { limit: 3, cursor: second.nextCursor });
		expect([...second.items, ...third.items].map((r) => r.target)).toEqual(['membership:3', 'membership:2', 'membership:1', 'membership:0']);
		expect(third.nextCursor).toBeNull();
		expect(first.items.filter((r) => !(r.tenantId === tenant && r.chain === tenant))).toEqual([]);
	});

	it('filters by action (exact or prefix*), actor, target, result and time', async () => {
		const db = t.database.db;
		expect((await listTenantAudit(db, tenant, { action: 'member.invite' })).items).toHaveLength(3);
		expect((await listTenantAudit(db, tenant, { action: 'member.*' })).items).toHaveLength(7);
		expect((await listTenantAudit(db, tenant, { action: 'member%' })).items).toHaveLength(0);
		expect((await listTenantAudit(db, tenant, { actorId: alice })).items).toHaveLength(3);
		expect((await listTenantAudit(db, tenant, { target: 'membership:5' })).items).toHaveLength(1);
		expect((await listTenantAudit(db, tenant, { result: 'failure' })).items.map((r) => r.target)).toEqual(['membership:6']);
		expect((await listTenantAudit(db, tenant, { from: new Date(Date.now() + 60_000) })).items).toHaveLength(0);
		expect((await listTenantAudit(db, tenant, { to: new Date(Date.now() + 60_000), from: new Date(Date.now() - 600_000) })).items).toHaveLength(7);
	});

	it('the admin list spans tenants, or one tenant, or the platform chain', async () => {
		const db = t.database.db;
		expect((await listAudit(db, { tenantId: other })).items).toHaveLength(2);
		const all = await listAudit(db, { action: 'member.invite', limit: 200 });
		expect(new Set(all.items.map((r) => r.tenantId))).toEqual(new Set([tenant, other]));
		expect((await listAudit(db, { tenantId: null, limit: 200 })).items.filter((r) => !(r.tenantId === null && r.chain === 'platform'))).toEqual([]);
	});

	it('a cursor it did not hand out is a 400', async () => {
		for (const cursor of ['nope!', Buffer.from('audit1:abc').toString('base64url'), Buffer.from('other:5').toString('base64url')]) {
			const error = await listTenantAudit(t.database.db, tenant, { cursor }).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ApiError);
			expect((error as ApiError).code).toBe('bad_request');
		}
	});
});
