import { desc, sql } from 'drizzle-orm';
import { z } from 'zod';
import { purgeRequestNonces } from '#lib/server/agents';
import { purgeExpiredSessions } from '#lib/server/auth';
import type { Config } from '#lib/server/config';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { purgeEvents } from '#lib/server/events';
import { purgeIdempotencyKeys } from '#lib/server/idempotency';
import { purgeExpiredArtifacts } from '#lib/server/idp';
import type { Queue } from '#lib/server/queue';
import { purgeRateLimits } from '#lib/server/ratelimit';
import type { PublishedKeys } from '#lib/server/signer';
import type { ObjectStore } from '#lib/server/storage';
import type { MaintenanceStatus as MaintenanceStatusView } from '#lib/api/types.gen';
import type { Logger } from '#lib/server/telemetry/logger';
import { raiseIntegrityBreak, verifyIntegrity } from './integrity';
import { applyAnonymisation, applyRetention } from './retention';
import { maintenanceRuns, type MaintenanceRun } from './schema';

export { verifyIntegrity, raiseIntegrityBreak, type IntegrityReport } from './integrity';
export { applyRetention, applyAnonymisation, type RetentionResult, type AnonymiseResult } from './retention';
export type { MaintenanceRun } from './schema';

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
	z.object({ task: z.literal('purge_agent_nonces') }),
	/** deletes raw proof files and rejected proofs past RETENTION_PROOF_DAYS */
	z.object({ task: z.literal('apply_retention') }),
	/** anonymises personal fields past ANONYMISE_AFTER_DAYS */
	z.object({ task: z.literal('anonymise') }),
	/** verifies the audit chains, signed receipts and the transparency log */
	z.object({ task: z.literal('verify_integrity') })
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

/** Tasks with a schedule of their own, each a setting. */
export const OWN_SCHEDULES = {
	apply_retention: 'MAINTENANCE_RETENTION_CRON',
	anonymise: 'MAINTENANCE_ANONYMISE_CRON',
	verify_integrity: 'MAINTENANCE_INTEGRITY_CRON'
} as const satisfies Partial<Record<MaintenanceTask['task'], keyof Config>>;

export type ScheduleSettings = Pick<Config, 'MAINTENANCE_CRON' | (typeof OWN_SCHEDULES)[keyof typeof OWN_SCHEDULES]>;

/** Every scheduled task with its cron expression, from the settings. */
export type ScheduledTask = (typeof SCHEDULED_TASKS)[number] | keyof typeof OWN_SCHEDULES;

export function maintenanceSchedules(settings: ScheduleSettings): { task: ScheduledTask; cron: string }[] {
	return [
		...SCHEDULED_TASKS.map((task) => ({ task, cron: settings.MAINTENANCE_CRON })),
		...Object.entries(OWN_SCHEDULES).map(([task, name]) => ({ task: task as keyof typeof OWN_SCHEDULES, cron: settings[name] }))
	];
}

/**
 * Creates (or updates: pg-boss upserts by queue and key) the schedule of every
 * task on the `maintenance` queue. Called when a maintenance worker starts;
 * pg-boss's own cron pass, which any process with a supervised queue runs,
 * sends the jobs, once per occurrence whatever the number of processes.
 */
export async function ensureMaintenanceSchedules(queue: Queue, settings: ScheduleSettings): Promise<void> {
	for (const { task, cron } of maintenanceSchedules(settings)) await queue.boss.schedule('maintenance', cron, { task }, { key: task });
}

type MaintenanceSettings = Pick<Config, 'SESSION_IDLE_TIMEOUT' | 'EVENT_RETENTION_DAYS' | 'AGENT_SIGNATURE_WINDOW' | 'RETENTION_PROOF_DAYS' | 'ANONYMISE_AFTER_DAYS'>;

/** What the retention and integrity tasks need besides the database. */
export type MaintenanceDeps = {
	storage: ObjectStore;
	/** the signer's published keys (receipt certificates, log verifier key) */
	publishedKeys: () => Promise<Pick<PublishedKeys, 'signing' | 'logVerifierKey'>>;
	logOrigin?: string;
	log: Logger;
	now?: () => Date;
};

/** Records a run (once per job id: a retried job records once) for the console's "last run". */
async function recordRun(db: DbOrTx, run: { task: string; jobId: string; startedAt: Date; outcome?: 'ok' | 'broken'; result?: unknown }) {
	await db
		.insert(maintenanceRuns)
		.values({ task: run.task, jobId: run.jobId, workerPid: process.pid, startedAt: run.startedAt, outcome: run.outcome ?? 'ok', result: run.result ?? null })
		.onConflictDoNothing({ target: maintenanceRuns.jobId });
}

/** Runs one maintenance task and records the run; idempotent per job id. */
export async function runMaintenanceTask(db: Db, jobId: string, input: unknown, signal?: AbortSignal, settings?: MaintenanceSettings, deps?: MaintenanceDeps) {
	const startedAt = new Date();
	const result = await runTask(db, jobId, input, signal, settings, deps);
	const { task, ...rest } = result;
	await db.transaction(async (tx) => {
		await recordRun(tx, { task, jobId, startedAt, outcome: 'ok' in rest && rest.ok === false ? 'broken' : 'ok', result: rest });
		// the alert commits with the run that found the break; its key makes a retried job or the next run's same finding notify once
		if (result.task === 'verify_integrity' && !result.ok && deps) await raiseIntegrityBreak(tx, deps.log, result);
	});
	return result;
}

async function runTask(db: Db, jobId: string, input: unknown, signal?: AbortSignal, settings?: MaintenanceSettings, deps?: MaintenanceDeps) {
	const task = maintenanceTask.parse(input);
	switch (task.task) {
		case 'selfcheck': {
			if (task.holdSeconds > 0) await db.execute(sql`select pg_sleep(${task.holdSeconds})`);
			signal?.throwIfAborted();
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
	if (!deps) throw new Error(`maintenance task ${task.task} needs storage, keys and a logger`);
	const now = deps.now?.() ?? new Date();
	switch (task.task) {
		case 'apply_retention':
			return { task: task.task, ...(await applyRetention({ db, storage: deps.storage, now, days: settings.RETENTION_PROOF_DAYS, signal })) };
		case 'anonymise':
			return { task: task.task, ...(await applyAnonymisation({ db, now, days: settings.ANONYMISE_AFTER_DAYS })) };
		case 'verify_integrity': {
			const report = await verifyIntegrity({ db, keys: await deps.publishedKeys(), logOrigin: deps.logOrigin, signal });
			return { task: task.task, ...report };
		}
	}
}

/** The newest run of every task, for the admin console and /metrics. */
export async function lastMaintenanceRuns(db: Db): Promise<MaintenanceRun[]> {
	return db
		.selectDistinctOn([maintenanceRuns.task])
		.from(maintenanceRuns)
		.orderBy(maintenanceRuns.task, desc(maintenanceRuns.finishedAt));
}

export async function maintenanceRunFor(db: Db, jobId: string) {
	const [row] = await db.select().from(maintenanceRuns).where(sql`${maintenanceRuns.jobId} = ${jobId}`);
	return row ?? null;
}

export type MaintenanceStatus = MaintenanceStatusView;

/**
 * Every scheduled task with its cron, the setting that holds it and its last
 * run; `integrityBroken` while the newest integrity run found a break.
 */
export async function maintenanceStatus(db: Db, settings: ScheduleSettings): Promise<MaintenanceStatusView> {
	const last = new Map((await lastMaintenanceRuns(db)).map((r) => [r.task, r]));
	const tasks = maintenanceSchedules(settings).map(({ task, cron }) => {
		const run = last.get(task);
		return {
			task,
			cron,
			setting: task in OWN_SCHEDULES ? OWN_SCHEDULES[task as keyof typeof OWN_SCHEDULES] : 'MAINTENANCE_CRON',
			lastRun: run ? { finishedAt: run.finishedAt.toISOString(), outcome: run.outcome, result: z.record(z.string(), z.unknown()).catch({}).parse(run.result) } : null
		};
	});
	return { integrityBroken: last.get('verify_integrity')?.outcome === 'broken', tasks };
}
