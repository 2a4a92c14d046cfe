import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '#lib/server/db/client';
import { purgeIdempotencyKeys } from '#lib/server/idempotency';
import { purgeRateLimits } from '#lib/server/ratelimit';
import { maintenanceRuns } from './schema';

export const maintenanceTask = z.discriminatedUnion('task', [
	z.object({
		task: z.literal('selfcheck'),
		/** how long the check holds a database connection, to observe a busy worker */
		holdSeconds: z.number().min(0).max(600).default(0)
	}),
	/** drops rate-limit windows that have ended (issue 4 §5) */
	z.object({ task: z.literal('purge_rate_limits') }),
	/** drops Idempotency-Keys past IDEMPOTENCY_TTL */
	z.object({ task: z.literal('purge_idempotency_keys') })
]);
export type MaintenanceTask = z.infer<typeof maintenanceTask>;

/** Runs one maintenance task; idempotent per job id (a retried job records once). */
export async function runMaintenanceTask(db: Db, jobId: string, input: unknown, signal?: AbortSignal) {
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
	}
}

export async function maintenanceRunFor(db: Db, jobId: string) {
	const [row] = await db.select().from(maintenanceRuns).where(sql`${maintenanceRuns.jobId} = ${jobId}`);
	return row ?? null;
}
