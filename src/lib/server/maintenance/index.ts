import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { purgeRequestNonces } from '#lib/server/agents';
import { purgeExpiredSessions } from '#lib/server/auth';
import type { Config } from '#lib/server/config';
import type { Db } from '#lib/server/db/client';
import { purgeEvents } from '#lib/server/events';
import { purgeIdempotencyKeys } from '#lib/server/idempotency';
import { purgeExpiredArtifacts } from '#lib/server/idp';
import type { Queue } from '#lib/server/queue';
import { purgeRateLimits } from '#lib/server/ratelimit';
import { maintenanceRuns } from './schema';

export const maintenanceTask = z.discriminatedUnion('task', [
	z.object({
		task: z.literal('selfcheck'),
		/** how long the check holds a database connection, to observe a busy worker */
		holdSeconds: z.number().min(0).max(600).default(0)
	}),
	/** drops rate-limit windows that have ended */
	z.object({ task: z.literal('purge_rate_limits') }),
	/** drops Idempotency-Keys past IDEMPOTENCY_TTL */
	z.object({ task: z.literal('purge_idempotency_keys') }),
	/** drops sessions past their absolute end or idle past SESSION_IDLE_TIMEOUT */
	z.object({ task: z.literal('purge_sessions') }),
	/** drops expired codes, grants and sessions of the built-in dev realm */
	z.object({ task: z.literal('purge_idp_artifacts') }),
	/** drops live tenant events older than EVENT_RETENTION_DAYS */
	z.object({ task: z.literal('purge_events') }),
	/** drops agent request nonces that can no longer be replayed (older than the signature window) */
	z.object({ task: z.literal('purge_agent_nonces') })
]);
export type MaintenanceTask = z.infer<typeof maintenanceTask>;

/** The purges pg-boss sends on MAINTENANCE_CRON, one schedule each (keyed by task). */
export const SCHEDULED_TASKS = [
	'purge_sessions',
	'purge_idp_artifacts',
	'purge_rate_limits',
	'purge_idempotency_keys',
	'purge_events',
	'purge_agent_nonces'
] as const satisfies readonly MaintenanceTask['task'][];

/**
 * Creates (or updates: pg-boss upserts by queue and key) the schedule of every
 * purge on the `maintenance` queue. Called when a maintenance worker starts;
 * pg-boss's own cron pass, which any process with a supervised queue runs,
 * sends the jobs, once per occurrence whatever the number of processes.
 */
export async function ensureMaintenanceSchedules(queue: Queue, cron: string): Promise<void> {
	for (const task of SCHEDULED_TASKS) await queue.boss.schedule('maintenance', cron, { task }, { key: task });
}

type MaintenanceSettings = Pick<Config, 'SESSION_IDLE_TIMEOUT' | 'EVENT_RETENTION_DAYS' | 'AGENT_SIGNATURE_WINDOW'>;

/** Runs one maintenance task; idempotent per job id (a retried job records once). */
export async function runMaintenanceTask(db: Db, jobId: string, input: unknown, signal?: AbortSignal, settings?: MaintenanceSettings) {
	const task = maintenanceTask.parse(input);
	const startedAt = new Date();
	switch (task.task) {
		case 'selfcheck': {
			if (task.holdSeconds > 0) await db.execute(sql`select pg_sleep(${task.holdSeconds})`);
			signal?.throwIfAborted();
			await db
				.insert(maintenanceRuns)
				.values({ task: task.task, jobId, workerPid: process.pid, startedAt })
				.onConflictDoNothing({ target: maintenanceRuns.jobId });
			return { task: task.task };
		}
		case 'purge_rate_limits':
			return { task: task.task, purged: await purgeRateLimits(db) };
		case 'purge_idempotency_keys':
			return { task: task.task, purged: await purgeIdempotencyKeys(db) };
		case 'purge_idp_artifacts':
			return { task: task.task, purged: await purgeExpiredArtifacts(db) };
	}
	if (!settings) throw new Error(`maintenance task ${task.task} needs the settings`);
	switch (task.task) {
		case 'purge_sessions':
			return { task: task.task, purged: await purgeExpiredSessions(db, settings.SESSION_IDLE_TIMEOUT * 1000) };
		case 'purge_events':
			return { task: task.task, purged: await purgeEvents(db, new Date(Date.now() - settings.EVENT_RETENTION_DAYS * 86400_000)) };
		case 'purge_agent_nonces':
			return { task: task.task, purged: await purgeRequestNonces(db, settings.AGENT_SIGNATURE_WINDOW) };
	}
}

export async function maintenanceRunFor(db: Db, jobId: string) {
	const [row] = await db.select().from(maintenanceRuns).where(sql`${maintenanceRuns.jobId} = ${jobId}`);
	return row ?? null;
}
