import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const RUN_OUTCOMES = ['ok', 'broken'] as const;

/**
 * Runs of maintenance tasks: the admin console shows each task's last run, and
 * a `broken` integrity run raises the console banner and the metric. A
 * `selfcheck` shows that a worker kind is alive end to end (queue, worker, database).
 */
export const maintenanceRuns = pgTable(
	'maintenance_runs',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		task: text('task').notNull(),
		jobId: text('job_id').notNull().unique(),
		workerPid: integer('worker_pid').notNull(),
		startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
		finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow(),
		/** `broken`: an integrity check found damage (details in `result`) */
		outcome: text('outcome', { enum: RUN_OUTCOMES }).notNull().default('ok'),
		/** what the task did: counts, or the integrity findings */
		result: jsonb('result')
	},
	(t) => [index('maintenance_runs_task_idx').on(t.task, t.finishedAt)]
);

export type MaintenanceRun = typeof maintenanceRuns.$inferSelect;
