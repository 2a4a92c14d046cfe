import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { openDatabase, type Database } from '#lib/server/db/client';
import { ensureIngestRole, INGEST_ROLE } from '#lib/server/db/roles';
import { hashRequest, withIdempotency } from '#lib/server/idempotency';
import { ApiError } from '#lib/server/http/errors';
import { runMaintenanceTask } from '#lib/server/maintenance';
import { startTestContainer } from '../../../../tests/helpers/container';
import { clientAddress, enforceRateLimit, flushRateLimits, hitRateLimit, LocalRateLimiter, purgeRateLimits, rateLimitSubject } from './index';

let t: Awaited<ReturnType<typeof startTestContainer>>;
let wide: Database;
beforeAll(async () => {
	t = await startTestContainer({ env: { RATE_LIMIT_SIGNIN: '3/60', RATE_LIMIT_VERIFY: 'off', RATE_LIMIT_DEFAULT: '5/60' } });
	wide = openDatabase(t.databaseUrl, 25);
});
afterAll(async () => {
	await wide.close(1);
	await t.stop();
});

/** The parts of a RequestEvent the limiter reads, as adapter-node and the `provide` handle fill them for a socket peer. */
const requestFrom = (peer: string, headers: Record<string, string> = {}) => ({
	request: new Request('http://localhost/auth/login', { headers }),
	getClientAddress: () => peer,
	locals: { app: t.app } as App.Locals
});

async function rejection(p: Promise<unknown>): Promise<ApiError> {
	const error = await p.then(() => null, (e: unknown) => e);
	expect(error).toBeInstanceOf(ApiError);
	return error as ApiError;
}

describe('hitRateLimit', () => {
	it('N concurrent requests at limit L: exactly L pass', async () => {
		const outcomes = await Promise.all(Array.from({ length: 60 }, () => hitRateLimit(wide.db, 'concurrency', '198.51.100.1', { limit: 17, windowSeconds: 60 })));
		expect(outcomes.filter((o) => o.allowed)).toHaveLength(17);
		// every request got its own count: 1..60 exactly once
		expect(outcomes.map((o) => o.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
	});

	it('Retry-After is the rest of the window, in whole seconds', async () => {
		const window = 60;
		const before = Date.now() / 1000;
		const outcome = await hitRateLimit(t.app.database.db, 'retry', '198.51.100.2', { limit: 1, windowSeconds: window });
		const after = Date.now() / 1000;
		// the window is epoch-aligned: it ends at the next multiple of 60 s
		const lo = Math.ceil(window - (after % window)) - 1;
		const hi = Math.ceil(window - (before % window)) + 1;
		expect(outcome.retryAfterSeconds).toBeGreaterThanOrEqual(Math.max(1, lo));
		expect(outcome.retryAfterSeconds).toBeLessThanOrEqual(Math.min(window, hi));
	});

	it('a new window starts counting again', async () => {
		const limit = { limit: 2, windowSeconds: 2 };
		const db = t.app.database.db;
		// start right after a window boundary so all three hits land in one window
		await new Promise((r) => setTimeout(r, 2000 - (Date.now() % 2000) + 20));
		const first = [await hitRateLimit(db, 'reset', '198.51.100.3', limit), await hitRateLimit(db, 'reset', '198.51.100.3', limit), await hitRateLimit(db, 'reset', '198.51.100.3', limit)];
		expect(first.map((o) => o.allowed)).toEqual([true, true, false]);
		expect(first[2].retryAfterSeconds).toBeGreaterThanOrEqual(1);
		expect(first[2].retryAfterSeconds).toBeLessThanOrEqual(2);
		await new Promise((r) => setTimeout(r, first[2].retryAfterSeconds * 1000));
		const next = await hitRateLimit(db, 'reset', '198.51.100.3', limit);
		expect(next).toMatchObject({ allowed: true, hits: 1 });
	});

	it('the purge drops ended windows only', async () => {
		const db = t.app.database.db;
		await hitRateLimit(db, 'purge', '198.51.100.4', { limit: 5, windowSeconds: 3600 });
		await db.execute(sql`insert into rate_limit_counters (bucket, subject, window_start, hits, expires_at) values ('purge', 'old', now() - interval '2 hours', 9, now() - interval '1 hour')`);
		expect(await purgeRateLimits(db)).toBeGreaterThanOrEqual(1);
		await db.execute(sql`insert into rate_limit_counters (bucket, subject, window_start, hits, expires_at) values ('purge', 'older', now() - interval '2 hours', 9, now() - interval '1 hour')`);
		// the maintenance worker's task does the same
		expect(await runMaintenanceTask(db, 'job-purge-rl', { task: 'purge_rate_limits' })).toEqual({ task: 'purge_rate_limits', purged: 1 });
		const left = await db.execute<{ subject: string }>(sql`select subject from rate_limit_counters where bucket = 'purge'`);
		expect(left.map((r) => r.subject)).toEqual(['198.51.100.4']);
	});
});

describe('the least-privilege ingest role', () => {
	it('may count requests and store idempotent answers, and nothing more of these tables', async () => {
		// the role is cluster-wide: another test file may be creating it this very moment (duplicate_object), so try twice
		await ensureIngestRole(t.app.database, null).catch(() => ensureIngestRole(t.app.database, null));
		// the test cluster's superuser acts as the ingest role, as `SET ROLE` would
		const asIngest = postgres(t.databaseUrl, { max: 2, onnotice: () => {}, connection: { role: INGEST_ROLE } });
		try {
			const db = drizzle({ client: asIngest });
			const [who] = await asIngest`select current_user as name`;
			expect(who.name).toBe(INGEST_ROLE);
			expect((await hitRateLimit(db, 'ingest', '198.51.100.50', { limit: 5, windowSeconds: 60 })).allowed).toBe(true);
			const req = { scope: 'agent/a1', key: 'k1', method: 'POST', path: '/ingest/v1/proofs', requestHash: hashRequest('x') };
			const handler = async () => ({ status: 202, body: { ok: true } });
			await withIdempotency(db, req, handler, { ttlSeconds: 60, waitSeconds: 2 });
			expect((await withIdempotency(db, req, handler, { ttlSeconds: 60, waitSeconds: 2 })).replayed).toBe(true);
			await expect(asIngest`delete from rate_limit_counters`).rejects.toMatchObject({ code: '42501' });
			await expect(asIngest`select * from audit_events`).rejects.toMatchObject({ code: '42501' });
		} finally {
			await asIngest.end();
		}
	});
});

describe('enforceRateLimit', () => {
	it('throws 429 rate_limited with Retry-After once the bucket is used up, per client address', async () => {
		for (let i = 0; i < 3; i++) await enforceRateLimit(requestFrom('203.0.113.7'), 'signin');
		const error = await rejection(enforceRateLimit(requestFrom('203.0.113.7'), 'signin'));
		expect(error.code).toBe('rate_limited');
		expect(error.status).toBe(429);
		expect(Number(error.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
		expect(Number(error.headers?.['retry-after'])).toBeLessThanOrEqual(60);
		// another address has its own count; another bucket too
		await enforceRateLimit(requestFrom('203.0.113.8'), 'signin');
		await enforceRateLimit(requestFrom('203.0.113.7'), 'token');
	});

	it('ignores X-Forwarded-For when no proxy is trusted (the default)', async () => {
		for (let i = 0; i < 3; i++) await enforceRateLimit(requestFrom('203.0.113.9', { 'x-forwarded-for': `10.0.0.${i}` }), 'signin');
		const error = await rejection(enforceRateLimit(requestFrom('203.0.113.9', { 'x-forwarded-for': '10.9.9.9' }), 'signin'));
		expect(error.code).toBe('rate_limited');
	});

	it('counts an IPv6 /64 as one client, and IPv4-mapped addresses as IPv4', async () => {
		for (let i = 1; i <= 3; i++) await enforceRateLimit(requestFrom(`2001:db8:aa:bb::${i}`), 'signin');
		expect((await rejection(enforceRateLimit(requestFrom('2001:db8:aa:bb:ffff:1:2:3'), 'signin'))).code).toBe('rate_limited');
		for (let i = 0; i < 3; i++) await enforceRateLimit(requestFrom('::ffff:192.0.2.77'), 'signin');
		expect((await rejection(enforceRateLimit(requestFrom('192.0.2.77'), 'signin'))).code).toBe('rate_limited');
	});

	it('uses RATE_LIMIT_DEFAULT for other buckets and skips buckets set to off', async () => {
		for (let i = 0; i < 5; i++) await enforceRateLimit(requestFrom('203.0.113.10'), 'members');
		expect((await rejection(enforceRateLimit(requestFrom('203.0.113.10'), 'members'))).code).toBe('rate_limited');
		for (let i = 0; i < 20; i++) await enforceRateLimit(requestFrom('203.0.113.10'), 'verify');
		const rows = await t.app.database.db.execute(sql`select 1 from rate_limit_counters where bucket = 'verify'`);
		expect(rows).toHaveLength(0);
	});
});

describe('the per-process front of the counters (local.ts)', () => {
	const counted = async (bucket: string, subject: string) => {
		const rows = await t.app.database.db.execute<{ hits: number }>(sql`select hits from rate_limit_counters where bucket = ${bucket} and subject = ${subject}`);
		return rows.length ? Number(rows[0].hits) : 0;
	};
	const dbHit = (bucket: string, subject: string, limit: { limit: number; windowSeconds: number }, n: number) => hitRateLimit(t.app.database.db, bucket, subject, limit, n);

	it('counts the first half of the limit in memory and adds it to the shared counter in one flush', async () => {
		await enforceRateLimit(requestFrom('203.0.113.20'), 'members');
		await enforceRateLimit(requestFrom('203.0.113.20'), 'members');
		expect(await counted('members', '203.0.113.20')).toBe(0);
		await flushRateLimits(t.app.database.db);
		expect(await counted('members', '203.0.113.20')).toBe(2);
		// past half of 5, each request is counted in the database at once
		await enforceRateLimit(requestFrom('203.0.113.20'), 'members');
		expect(await counted('members', '203.0.113.20')).toBe(3);
	});

	it('two processes sharing the database let the limit through, and at most half a limit more', async () => {
		const limit = { limit: 10, windowSeconds: 3600 };
		const a = new LocalRateLimiter(t.app.database.db, dbHit);
		const b = new LocalRateLimiter(t.app.database.db, dbHit);
		const outcomes = [];
		for (let i = 0; i < 8; i++) outcomes.push(await a.hit('two', '198.51.100.60', limit), await b.hit('two', '198.51.100.60', limit));
		// each process admits its first half locally; past that the shared counter decides, unaware only of the
		// other process's unflushed half: limit + (P − 1) × limit/2 at most, here 15
		const allowed = outcomes.filter((o) => o.allowed).length;
		expect(allowed).toBeGreaterThanOrEqual(10);
		expect(allowed).toBeLessThanOrEqual(15);
		expect(outcomes.slice(-4).filter((o) => o.allowed)).toEqual([]);
		await Promise.all([a.close(), b.close()]);
		expect(await counted('two', '198.51.100.60')).toBeGreaterThanOrEqual(12);
	});

	it('refuses a client over the limit locally, without a write per refusal, with Retry-After', async () => {
		const limit = { limit: 2, windowSeconds: 3600 };
		const a = new LocalRateLimiter(t.app.database.db, dbHit);
		expect((await a.hit('refused', '198.51.100.61', limit)).allowed).toBe(true);
		expect((await a.hit('refused', '198.51.100.61', limit)).allowed).toBe(true);
		const first = await a.hit('refused', '198.51.100.61', limit);
		expect(first.allowed).toBe(false);
		const before = await counted('refused', '198.51.100.61');
		for (let i = 0; i < 5; i++) {
			const o = await a.hit('refused', '198.51.100.61', limit);
			expect(o.allowed).toBe(false);
			expect(o.retryAfterSeconds).toBeGreaterThanOrEqual(1);
			expect(o.retryAfterSeconds).toBeLessThanOrEqual(3600);
		}
		await a.close();
		expect(await counted('refused', '198.51.100.61')).toBe(before);
	});
});

describe('clientAddress', () => {
	const ev = (peer: string, xff?: string) => ({ request: new Request('http://x/', { headers: xff ? { 'x-forwarded-for': xff } : {} }), getClientAddress: () => peer });

	it('takes the Nth address from the right when N proxies are trusted', () => {
		expect(clientAddress(ev('10.0.0.1', '6.6.6.6, 198.51.100.20'), 1)).toBe('198.51.100.20');
		expect(clientAddress(ev('10.0.0.1', '6.6.6.6, 198.51.100.20, 10.0.0.5'), 2)).toBe('198.51.100.20');
		expect(clientAddress(ev('10.0.0.1', '[2001:DB8::1]:4711'), 1)).toBe('2001:db8::1');
		expect(clientAddress(ev('10.0.0.1', '198.51.100.21:8080'), 1)).toBe('198.51.100.21');
	});

	it('falls back to the socket when the header is missing, too short or not an address', () => {
		expect(clientAddress(ev('10.0.0.1', '6.6.6.6'), 0)).toBe('10.0.0.1');
		expect(clientAddress(ev('10.0.0.1'), 1)).toBe('10.0.0.1');
		expect(clientAddress(ev('10.0.0.1', '198.51.100.20'), 2)).toBe('10.0.0.1');
		expect(clientAddress(ev('10.0.0.1', 'unknown'), 1)).toBe('10.0.0.1');
		expect(clientAddress(ev('::ffff:10.0.0.2'), 0)).toBe('10.0.0.2');
	});

	it('reduces IPv6 to its /64', () => {
		expect(rateLimitSubject('2001:db8::1')).toBe('2001:0db8:0000:0000::/64');
		expect(rateLimitSubject('2001:db8:1:2:3:4:5:6')).toBe('2001:0db8:0001:0002::/64');
		expect(rateLimitSubject('::1')).toBe('0000:0000:0000:0000::/64');
		expect(rateLimitSubject('192.0.2.1')).toBe('192.0.2.1');
	});
});
