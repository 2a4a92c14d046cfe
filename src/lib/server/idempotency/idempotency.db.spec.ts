import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { runMaintenanceTask } from '#lib/server/maintenance';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { hashRequest, idempotencyScope, idempotentResponse, purgeIdempotencyKeys, readIdempotencyKey, runIdempotent, withIdempotency, type IdempotencyRequest } from './index';

let t: Awaited<ReturnType<typeof createTestDatabase>>;
let wide: Database;
beforeAll(async () => {
	t = await createTestDatabase();
	wide = openDatabase(t.url, 15);
	// a stand-in for a module's table: what the handler changes
	await t.database.sql`create table widgets (id serial primary key, name text not null)`;
});
afterAll(async () => {
	await wide.close(1);
	await t.drop();
});

const opts = { ttlSeconds: 3600, waitSeconds: 5 };
const request = (over: Partial<IdempotencyRequest> = {}): IdempotencyRequest => ({
	scope: idempotencyScope({ tenantId: randomUUID(), kind: 'user', id: 'u1' }),
	key: randomUUID(),
	method: 'POST',
	path: '/api/v1/widgets',
	requestHash: hashRequest('{"name":"a"}'),
	...over
});

/** A handler that really changes something, so "ran twice" would show as two rows. */
const createWidget = (name: string, holdSeconds = 0) => async (tx: Tx) => {
	if (holdSeconds) await tx.execute(sql`select pg_sleep(${holdSeconds})`);
	const [row] = await tx.execute<{ id: number }>(sql`insert into widgets (name) values (${name}) returning id`);
	return { status: 201, body: { id: row.id, name } };
};
const widgets = async (name: string) => (await t.database.sql`select id from widgets where name = ${name}`).length;

async function rejection(p: Promise<unknown>): Promise<ApiError> {
	const error = await p.then(() => null, (e: unknown) => e);
	expect(error).toBeInstanceOf(ApiError);
	return error as ApiError;
}

describe('withIdempotency', () => {
	it('runs once; the same request again gets the stored answer, marked replayed', async () => {
		const req = request();
		const first = await withIdempotency(t.database.db, req, createWidget('once'), opts);
		const second = await withIdempotency(t.database.db, req, createWidget('once'), opts);
		expect(first).toMatchObject({ status: 201, replayed: false });
		expect(second).toEqual({ ...first, replayed: true });
		expect(await widgets('once')).toBe(1);
	});

	it('a replay returns the body as first sent (key order, numbers)', async () => {
		const req = request();
		const body = { zebra: 1, alpha: [1.5, 1e21], nested: { b: true, a: null } };
		await withIdempotency(t.database.db, req, async () => ({ status: 200, body }), opts);
		const replay = await withIdempotency(t.database.db, req, async () => ({ status: 500, body: null }), opts);
		expect(JSON.stringify(replay.body)).toBe(JSON.stringify(body));
		expect(replay).toMatchObject({ status: 200, replayed: true });
	});

	it('the same key with another body, method or path is 409 idempotency_key_reused', async () => {
		const req = request();
		await withIdempotency(t.database.db, req, createWidget('reuse'), opts);
		for (const other of [{ requestHash: hashRequest('{"name":"b"}') }, { method: 'PUT' }, { path: '/api/v1/other' }]) {
			const error = await rejection(withIdempotency(t.database.db, { ...req, ...other }, createWidget('reuse'), opts));
			expect(error.code).toBe('idempotency_key_reused');
			expect(error.status).toBe(409);
		}
		expect(await widgets('reuse')).toBe(1);
	});

	it('keys are per scope: two callers may use the same key', async () => {
		const key = randomUUID();
		await withIdempotency(t.database.db, request({ key }), createWidget('scoped'), opts);
		const other = await withIdempotency(t.database.db, request({ key }), createWidget('scoped'), opts);
		expect(other.replayed).toBe(false);
		expect(await widgets('scoped')).toBe(2);
	});

	it('a failed handler rolls back its change and the key; a retry runs again', async () => {
		const req = request();
		const failing = async (tx: Tx) => {
			await createWidget('retry')(tx);
			throw new ApiError('service_unavailable');
		};
		await rejection(withIdempotency(t.database.db, req, failing, opts));
		expect(await widgets('retry')).toBe(0);
		const retried = await withIdempotency(t.database.db, req, createWidget('retry'), opts);
		expect(retried.replayed).toBe(false);
		expect(await widgets('retry')).toBe(1);
	});

	it('parallel duplicates: the handler runs exactly once and every caller gets its answer', async () => {
		const req = request();
		const outcomes = await Promise.all(Array.from({ length: 10 }, () => withIdempotency(wide.db, req, createWidget('parallel', 0.3), opts)));
		expect(await widgets('parallel')).toBe(1);
		expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
		const original = outcomes.find((o) => !o.replayed)!;
		for (const o of outcomes) expect(o.body).toEqual(original.body);
	});

	it('a duplicate waiting longer than the wait timeout gets 409 conflict with Retry-After', async () => {
		const req = request();
		const slow = withIdempotency(wide.db, req, createWidget('slow', 2.5), opts);
		await new Promise((r) => setTimeout(r, 200));
		const error = await rejection(withIdempotency(wide.db, req, createWidget('slow'), { ...opts, waitSeconds: 1 }));
		expect(error.code).toBe('conflict');
		expect(error.headers?.['retry-after']).toBe('1');
		expect((await slow).replayed).toBe(false);
		// the waiter's own transaction was rolled back; the original's answer is now replayed
		expect((await withIdempotency(wide.db, req, createWidget('slow'), opts)).replayed).toBe(true);
		expect(await widgets('slow')).toBe(1);
	});

	it('the wait timeout does not leak into the handler', async () => {
		const outcome = await withIdempotency(t.database.db, request(), async (tx) => {
			const [row] = await tx.execute<{ lock_timeout: string }>(sql`select current_setting('lock_timeout') as lock_timeout`);
			return { status: 200, body: row };
		}, { ...opts, waitSeconds: 3 });
		expect(outcome.body).toEqual({ lock_timeout: '0' });
	});

	it('an expired key counts as unused, and the purge removes expired keys', async () => {
		const req = request();
		await withIdempotency(t.database.db, req, createWidget('expiry'), opts);
		await t.database.sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${req.key}`;
		const again = await withIdempotency(t.database.db, req, createWidget('expiry'), opts);
		expect(again.replayed).toBe(false);
		expect(await widgets('expiry')).toBe(2);
		await t.database.sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${req.key}`;
		expect(await purgeIdempotencyKeys(t.database.db)).toBeGreaterThanOrEqual(1);
		expect(await t.database.sql`select 1 from idempotency_keys where key = ${req.key}`).toHaveLength(0);
		await withIdempotency(t.database.db, req, createWidget('expiry'), opts);
		await t.database.sql`update idempotency_keys set expires_at = now() - interval '1 second' where key = ${req.key}`;
		// the maintenance worker's task does the same
		expect(await runMaintenanceTask(t.database.db, `job-${req.key}`, { task: 'purge_idempotency_keys' })).toMatchObject({ task: 'purge_idempotency_keys', purged: 1 });
		expect(await t.database.sql`select 1 from idempotency_keys where key = ${req.key}`).toHaveLength(0);
	});
});

describe('the Idempotency-Key header', () => {
	const withKey = (value?: string) => new Request('http://x/api/v1/widgets', { method: 'POST', headers: value === undefined ? {} : { 'idempotency-key': value } });

	it('accepts printable keys up to 255 characters, plain or as a structured-field string', () => {
		expect(readIdempotencyKey(withKey())).toBeNull();
		expect(readIdempotencyKey(withKey('8e03978e-40d5-43e8-bc93-6894a57f9324'))).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
		expect(readIdempotencyKey(withKey('"abc def"'))).toBe('abc def');
		expect(readIdempotencyKey(withKey('x'.repeat(255)))).toHaveLength(255);
	});

	it('refuses empty, too long and non-printable keys with a 400', () => {
		for (const bad of ['', '""', 'x'.repeat(256), 'caf\u00e9', 'a\tb']) {
			const error = (() => {
				try {
					readIdempotencyKey(withKey(bad));
				} catch (e) {
					return e;
				}
			})();
			expect(error, JSON.stringify(bad)).toBeInstanceOf(ApiError);
			expect((error as ApiError).code).toBe('bad_request');
		}
	});

	it('runIdempotent replays through the header and answers with Idempotent-Replayed', async () => {
		const scope = idempotencyScope({ tenantId: null, kind: 'user', id: randomUUID() });
		const event = () => ({ request: withKey('k-1'), url: new URL('http://x/api/v1/widgets') });
		const a = await runIdempotent(t.database.db, event(), { scope, requestHash: hashRequest('b'), settings: opts }, createWidget('route'));
		const b = await runIdempotent(t.database.db, event(), { scope, requestHash: hashRequest('b'), settings: opts }, createWidget('route'));
		expect(idempotentResponse(a).headers.get('idempotent-replayed')).toBeNull();
		const replayed = idempotentResponse(b);
		expect(replayed.status).toBe(201);
		expect(replayed.headers.get('idempotent-replayed')).toBe('true');
		expect(await replayed.json()).toEqual(a.body);
		// no header: runs every time, still in one transaction
		const noKey = { request: withKey(), url: new URL('http://x/api/v1/widgets') };
		await runIdempotent(t.database.db, noKey, { scope, requestHash: hashRequest('b'), settings: opts }, createWidget('route'));
		expect(await widgets('route')).toBe(2);
	});

	it('hashRequest separates its parts', () => {
		expect(hashRequest('ab', 'c')).not.toBe(hashRequest('a', 'bc'));
		expect(hashRequest(new TextEncoder().encode('x'))).toBe(hashRequest('x'));
	});
});
