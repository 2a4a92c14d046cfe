import { sql } from 'drizzle-orm';
import { PgBoss, fromDrizzle, type SendOptions } from 'pg-boss';
import type { Tx } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import { traceCarrier } from '#lib/server/telemetry/tracing';
import { QUEUES, deadLetterOf, type QueueName } from './catalogue';

export * from './catalogue';

export type RetryPolicy = { retryLimit: number; retryDelay: number; retryBackoff: boolean; expireInSeconds: number };

export type Queue = {
	boss: PgBoss;
	stop(opts?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
};

/**
 * Starts pg-boss in the app database (schema `pgboss`) and makes sure every
 * queue of the catalogue and its dead-letter queue exist with the retry policy
 * from settings. Errors are logged with the queue and worker they came from.
 */
export async function startQueue(opts: {
	url: string;
	policy: RetryPolicy;
	log: Logger;
	/** run pg-boss maintenance (expiry, retention) in this process */
	supervise?: boolean;
	max?: number;
}): Promise<Queue> {
	const boss = new PgBoss({
		connectionString: opts.url,
		schema: 'pgboss',
		max: opts.max ?? 4,
		supervise: opts.supervise ?? true,
		schedule: opts.supervise ?? true,
		migrate: true,
		application_name: `wipecert:${process.env.WIPECERT_ENTRY ?? 'app'}:queue`
	});
	boss.on('error', (error: Error & { queue?: string; name?: string; worker?: string }) => {
		opts.log.error({ err: error, queue: error.queue, worker: error.worker ?? error.name }, 'pg-boss error');
	});
	boss.on('warning', (warning: unknown) => opts.log.warn({ warning }, 'pg-boss warning'));
	await boss.start();
	await ensureQueues(boss, opts.policy);
	return {
		boss,
		stop: ({ graceful = true, timeoutMs = 30_000 } = {}) => boss.stop({ graceful, timeout: timeoutMs, close: true })
	};
}

async function ensureQueues(boss: PgBoss, policy: RetryPolicy) {
	const existing = new Set((await boss.getQueues()).map((q) => q.name));
	for (const name of QUEUES) {
		const dead = deadLetterOf(name);
		// Dead letters are kept for two weeks so an admin can retry or discard them.
		if (!existing.has(dead)) await boss.createQueue(dead, { retryLimit: 0, retentionSeconds: 14 * 86400 });
		const options = {
			retryLimit: policy.retryLimit,
			retryDelay: policy.retryDelay,
			retryBackoff: policy.retryBackoff,
			expireInSeconds: policy.expireInSeconds
		};
		if (!existing.has(name)) await boss.createQueue(name, { ...options, deadLetter: dead });
		else await boss.updateQueue(name, options);
	}
}

/**
 * Job data field carrying the W3C trace context of the request or job that
 * sent it, so the worker's span continues that trace (the runner reads it;
 * handlers' parsers ignore unknown fields).
 */
export const TRACE_FIELD = '_trace';

/** Job data with the active trace context, unless the sender already named the one it belongs to (a group commit sends for several requests). */
const traced = <T extends object>(data: T): T => {
	if (TRACE_FIELD in data) return data;
	const carrier = traceCarrier();
	return Object.keys(carrier).length ? { ...data, [TRACE_FIELD]: carrier } : data;
};

/**
 * Sends a job inside the caller's drizzle transaction (pg-boss `fromDrizzle`):
 * the job exists if and only if the transaction commits (docs/architecture.md, "Invariants").
 */
export function sendInTx<T extends object>(
	queue: Queue,
	tx: Tx,
	name: QueueName,
	data: T,
	options: SendOptions = {}
): Promise<string | null> {
	return queue.boss.send(name, traced(data), { ...options, db: fromDrizzle(tx, sql) });
}

/**
 * Several jobs of one queue inside the caller's transaction, as one INSERT
 * (pg-boss `insert`; the queue's retry policy and dead letter apply as with
 * `send`): a batch of proofs registers its jobs in one statement, not one each.
 */
export async function sendManyInTx<T extends object>(queue: Queue, tx: Tx, name: QueueName, data: T[]): Promise<void> {
	if (!data.length) return;
	await queue.boss.insert(name, data.map((d) => ({ data: traced(d) })), { db: fromDrizzle(tx, sql) });
}

export type QueueDepth = { queue: string; queued: number; active: number; failed: number; deadLetters: number };

/**
 * Depth per catalogue queue, for /metrics, /readyz and the admin console.
 * Counted live from the job table: `getQueues()` serves the counts pg-boss's
 * monitor caches on the queue table, up to `monitorIntervalSeconds` (60 s) old
 * and all zero before its first pass.
 */
export async function queueDepths(queue: Queue): Promise<QueueDepth[]> {
	const names = QUEUES.flatMap((name) => [name, deadLetterOf(name)]);
	const { rows } = await queue.boss.getDb().executeSql(
		`select name,
			count(*) filter (where state in ('created', 'retry'))::int as queued,
			count(*) filter (where state = 'active')::int as active,
			count(*) filter (where state = 'failed')::int as failed
		from pgboss.job
		where name = any($1::text[]) and state in ('created', 'retry', 'active', 'failed')
		group by name`,
		[names]
	);
	const byName = new Map((rows as { name: string; queued: number; active: number; failed: number }[]).map((r) => [r.name, r]));
	return QUEUES.map((name) => {
		const q = byName.get(name);
		const dead = byName.get(deadLetterOf(name));
		return {
			queue: name,
			queued: q?.queued ?? 0,
			active: q?.active ?? 0,
			failed: q?.failed ?? 0,
			deadLetters: dead?.queued ?? 0
		};
	});
}

/** Seconds the oldest waiting job (created or retry) of each catalogue queue has waited; 0 when none waits. */
export async function oldestQueuedAges(queue: Queue): Promise<Map<QueueName, number>> {
	const { rows } = await queue.boss.getDb().executeSql(
		`select name, extract(epoch from now() - min(created_on))::float8 as age
		from pgboss.job where name = any($1::text[]) and state in ('created', 'retry') group by name`,
		[[...QUEUES]]
	);
	const ages = new Map((rows as { name: QueueName; age: number }[]).map((r) => [r.name, Math.max(0, r.age)]));
	return new Map(QUEUES.map((name) => [name, ages.get(name) ?? 0]));
}

/** Connections of WipeCert processes (application_name `wipecert:<entry>…`) by entry and state. */
export async function databaseConnections(queue: Queue): Promise<{ entry: string; state: string; n: number }[]> {
	const { rows } = await queue.boss.getDb().executeSql(
		`select split_part(application_name, ':', 2) as entry,
			case when wait_event_type = 'Lock' then 'waiting' when state = 'active' then 'active' else coalesce(state, 'unknown') end as state,
			count(*)::int as n
		from pg_stat_activity where datname = current_database() and application_name like 'wipecert:%' group by 1, 2`
	);
	return rows as { entry: string; state: string; n: number }[];
}
