import { ensureMaintenanceSchedules, runMaintenanceTask } from '#lib/server/maintenance';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The maintenance worker: purges of expired rows, sent by pg-boss schedules
 * (MAINTENANCE_CRON) that this worker creates when it starts, and selfchecks.
 */
export const maintenance: JobModule = {
	kind: 'maintenance',
	async bind({ queue, database, config }) {
		await ensureMaintenanceSchedules(queue, config.MAINTENANCE_CRON);
		return {
			maintenance: (job) => runMaintenanceTask(database.db, job.id, job.data, job.signal, config)
		};
	}
};
