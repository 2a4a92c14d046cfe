import type { RequestEvent } from '@sveltejs/kit';
import { lt, sql } from 'drizzle-orm';
import type { Config } from '#lib/server/config';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { clientAddress, rateLimitSubject } from './client-address';
import { LocalRateLimiter } from './local';
import { rateLimitCounters } from './schema';

export { clientAddress, normaliseAddress, rateLimitSubject } from './client-address';
export { LocalRateLimiter } from './local';

export type RateLimitBucket = 'signin' | 'token' | 'ingest' | 'verify' | (string & {});
export type RateLimit = { limit: number; windowSeconds: number };
export type RateLimitOutcome = { allowed: boolean; hits: number; limit: number; retryAfterSeconds: number };

const BUCKET_SETTINGS = {
	signin: 'RATE_LIMIT_SIGNIN',
	token: 'RATE_LIMIT_TOKEN',
	ingest: 'RATE_LIMIT_INGEST',
	verify: 'RATE_LIMIT_VERIFY'
} as const satisfies Record<string, keyof Config>;

/** The limit of a bucket from the settings; null when the bucket is `off`. Other buckets use RATE_LIMIT_DEFAULT. */
export function limitFor(config: Pick<Config, (typeof BUCKET_SETTINGS)[keyof typeof BUCKET_SETTINGS] | 'RATE_LIMIT_DEFAULT'>, bucket: RateLimitBucket): RateLimit | null {
	const name = bucket in BUCKET_SETTINGS ? BUCKET_SETTINGS[bucket as keyof typeof BUCKET_SETTINGS] : 'RATE_LIMIT_DEFAULT';
	return config[name];
}

/**
 * Counts one request of `subject` in `bucket` and says whether it is within
 * `limit`. One statement: the UPSERT increments the window's row under its row
 * lock and returns the new count, so N concurrent requests at limit L let
 * exactly L through, whichever process serves them. Windows are aligned to the
 * epoch (fixed window); the database clock decides, so app servers with skewed
 * clocks agree. Rejected requests count too, which keeps a client that hammers
 * the endpoint blocked until the window ends. `count` > 1 adds hits a process
 * counted locally first (local.ts).
 */
export async function hitRateLimit(db: DbOrTx, bucket: string, subject: string, { limit, windowSeconds }: RateLimit, count = 1): Promise<RateLimitOutcome> {
	const rows = await db.execute<{ hits: number; retry_after: number }>(sql`
		with w as (
			select to_timestamp(floor(extract(epoch from clock_timestamp()) / ${windowSeconds}) * ${windowSeconds}) as start
		)
		insert into ${rateLimitCounters} as c (bucket, subject, window_start, hits, expires_at)
		select ${bucket}, ${subject}, w.start, ${count}::int, w.start + make_interval(secs => ${windowSeconds}) from w
		on conflict (bucket, subject, window_start) do update set hits = c.hits + excluded.hits
		returning c.hits, greatest(1, ceil(extract(epoch from c.expires_at - clock_timestamp())))::int as retry_after`);
	const row = rows[0];
	const hits = Number(row.hits);
	return { allowed: hits <= limit, hits, limit, retryAfterSeconds: Number(row.retry_after) };
}

const limiters = new WeakMap<Db, LocalRateLimiter>();

/** The process's local front of the shared counters for this database (local.ts). */
function localLimiter(db: Db): LocalRateLimiter {
	let l = limiters.get(db);
	if (!l) limiters.set(db, (l = new LocalRateLimiter(db, (bucket, subject, limit, count) => hitRateLimit(db, bucket, subject, limit, count))));
	return l;
}

/** Writes locally counted hits to the shared counters now (tests; shutdown). */
export async function flushRateLimits(db: Db): Promise<void> {
	await limiters.get(db)?.flush();
}

/** What a rate limit reads of a request: its addresses, and the container's settings and pool. */
type LimitedRequest = Pick<RequestEvent, 'request' | 'getClientAddress' | 'locals'>;

/**
 * Throws 429 `rate_limited` with `Retry-After` (RFC 9110 §10.2.3, seconds) when
 * the caller's address has used up `bucket`'s limit for the current window.
 * The address is `event.getClientAddress()`, or the configured hop of
 * X-Forwarded-For when TRUSTED_PROXY_HOPS > 0 (see client-address.ts).
 * The first half of a client's limit is counted in this process and written
 * to the shared counters in batches; from there on every request is counted
 * in the database (local.ts, admin-docs operations/rate-limits).
 */
export async function enforceRateLimit(event: LimitedRequest, bucket: RateLimitBucket): Promise<void> {
	const { config, database } = event.locals.app;
	const limit = limitFor(config, bucket);
	if (!limit) return;
	const subject = rateLimitSubject(clientAddress(event, config.TRUSTED_PROXY_HOPS));
	const outcome = await localLimiter(database.db).hit(bucket, subject, limit);
	if (!outcome.allowed) {
		throw new ApiError('rate_limited', `Too many requests; retry in ${outcome.retryAfterSeconds} s.`, undefined, {
			'retry-after': String(outcome.retryAfterSeconds)
		});
	}
}

/** The caller's address as the settings say to read it (TRUSTED_PROXY_HOPS): for audit rows' source IP. */
export function requestClientAddress(event: LimitedRequest): string {
	return clientAddress(event, event.locals.app.config.TRUSTED_PROXY_HOPS);
}

/** Maintenance: drops windows that have ended. Returns how many rows went. */
export async function purgeRateLimits(db: DbOrTx, now: Date = new Date()): Promise<number> {
	const rows = await db.delete(rateLimitCounters).where(lt(rateLimitCounters.expiresAt, now)).returning({ bucket: rateLimitCounters.bucket });
	return rows.length;
}
