import { bigserial, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Runs of maintenance tasks, kept so an operator can see that a worker kind is
 * alive end to end (a `selfcheck` goes through the queue, a worker and the database).
 */
export const maintenanceRuns = pgTable('maintenance_runs', {
	id: bigserial('id', { mode: 'number' }).primaryKey(),
	task: text('task').notNull(),
	jobId: text('job_id').notNull().unique(),
	workerPid: integer('worker_pid').notNull(),
	startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
	finishedAt: timestamp('finished_at', { withTimezone: true }).notNull().defaultNow()
});
