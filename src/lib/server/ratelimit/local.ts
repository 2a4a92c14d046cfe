import { sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { logger } from '#lib/server/telemetry/logger';
import { rateLimitCounters } from './schema';
import type { RateLimit, RateLimitOutcome } from './index';

/**
 * Per-process front of the shared counters: a DB write per
 * request cost the public verify endpoint a round trip and a row lock on every
 * call. Here each process counts a client's first half of the limit in memory
 * and adds those hits to `rate_limit_counters` in one batched statement every
 * FLUSH_MS; once the client's count (the database's as last seen, plus what
 * is pending here) reaches half the limit, every further request is counted
 * in the database as before — exact and shared by all processes — carrying
 * the pending local hits with it. A client found over the limit is refused
 * locally, without a write, until its window ends (fixed windows never count
 * down, so the outcome is the same as counting the refusals).
 *
 * Bound: one process enforces the limit exactly. With P processes the
 * shared counter does not yet know the others' unflushed local hits, so a
 * client can get at most limit + (P − 1) × limit/2 requests through, and only
 * when it spreads them over processes within one flush interval; after a
 * flush the counters agree again. Hits pending at a crash (≤ FLUSH_MS worth)
 * are lost.
 */
const FLUSH_MS = 1000;
/** Beyond this many clients in memory, new ones are counted in the database directly (a flood of addresses cannot grow the map). */
const MAX_ENTRIES = 50_000;

type Entry = { bucket: string; subject: string; windowSeconds: number; windowEnd: number; known: number; pending: number; blockedUntil: number };
type DbHit = (bucket: string, subject: string, limit: RateLimit, hits: number) => Promise<RateLimitOutcome>;

export class LocalRateLimiter {
	private readonly entries = new Map<string, Entry>();
	private timer: NodeJS.Timeout | null = null;
	private flushing: Promise<void> | null = null;

	constructor(
		private readonly db: Db,
		private readonly dbHit: DbHit
	) {}

	async hit(bucket: string, subject: string, limit: RateLimit, now = Date.now()): Promise<RateLimitOutcome> {
		const span = limit.windowSeconds * 1000;
		const windowEnd = (Math.floor(now / span) + 1) * span;
		const key = `${bucket}\u0000${subject}`;
		let e = this.entries.get(key);
		if (!e || e.windowEnd !== windowEnd) {
			if (!e && this.entries.size >= MAX_ENTRIES) return this.dbHit(bucket, subject, limit, 1);
			e = { bucket, subject, windowSeconds: limit.windowSeconds, windowEnd, known: 0, pending: 0, blockedUntil: 0 };
			this.entries.set(key, e);
		}
		if (now < e.blockedUntil) {
			return { allowed: false, hits: e.known + e.pending, limit: limit.limit, retryAfterSeconds: Math.max(1, Math.ceil((e.blockedUntil - now) / 1000)) };
		}
		if (e.known + e.pending + 1 <= Math.floor(limit.limit / 2)) {
			e.pending++;
			this.schedule();
			return { allowed: true, hits: e.known + e.pending, limit: limit.limit, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)) };
		}
		const carried = e.pending + 1;
		e.pending = 0;
		const outcome = await this.dbHit(bucket, subject, limit, carried);
		e.known = Math.max(e.known, outcome.hits);
		if (!outcome.allowed) e.blockedUntil = Date.now() + outcome.retryAfterSeconds * 1000;
		return outcome;
	}

	private schedule(): void {
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			void this.flush();
		}, FLUSH_MS);
		this.timer.unref();
	}

	/** Adds every pending local count to the shared counters in one statement. */
	async flush(): Promise<void> {
		if (this.flushing) return this.flushing;
		this.flushing = this.flushOnce().finally(() => (this.flushing = null));
		return this.flushing;
	}

	private async flushOnce(): Promise<void> {
		const now = Date.now();
		const batch: { e: Entry; n: number }[] = [];
		for (const [key, e] of this.entries) {
			if (e.pending > 0) batch.push({ e, n: e.pending });
			else if (e.windowEnd <= now) this.entries.delete(key);
		}
		if (!batch.length) return;
		for (const b of batch) b.e.pending -= b.n;
		const rows = batch.map(({ e, n }) => ({ bucket: e.bucket, subject: e.subject, n, secs: e.windowSeconds }));
		try {
			const result = await this.db.execute<{ bucket: string; subject: string; hits: number }>(sql`
				with v as (select * from json_to_recordset(${JSON.stringify(rows)}::json) as v(bucket text, subject text, n int, secs int)),
				w as (select v.*, to_timestamp(floor(extract(epoch from clock_timestamp()) / v.secs) * v.secs) as start from v)
				insert into ${rateLimitCounters} as c (bucket, subject, window_start, hits, expires_at)
				select bucket, subject, start, n, start + make_interval(secs => secs) from w
				on conflict (bucket, subject, window_start) do update set hits = c.hits + excluded.hits
				returning c.bucket, c.subject, c.hits`);
			for (const r of result) {
				const e = this.entries.get(`${r.bucket}\u0000${r.subject}`);
				if (e) e.known = Math.max(e.known, Number(r.hits));
			}
		} catch (error) {
			// the pool may be closing at shutdown; counts of one interval are given up rather than retried forever
			logger.warn({ err: error, clients: rows.length }, 'rate limit flush failed');
		}
		if ([...this.entries.values()].some((e) => e.pending > 0)) this.schedule();
	}

	/** Stops the timer after a last flush (tests, shutdown). */
	async close(): Promise<void> {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
		await this.flush();
	}
}
