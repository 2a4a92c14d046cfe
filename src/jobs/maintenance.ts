import { ensureMaintenanceSchedules, runMaintenanceTask } from '#lib/server/maintenance';
import { platform } from '#lib/server/platform';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The maintenance worker: purges of expired rows, sent by pg-boss schedules
 * (MAINTENANCE_CRON) that this worker creates when it starts, and selfchecks.
 */
export const maintenance: JobModule = {
	kind: 'maintenance',
	start: () => ensureMaintenanceSchedules(platform().queue, platform().config.MAINTENANCE_CRON),
	handlers: {
		maintenance: (job) => {
			const { database, config } = platform();
			return runMaintenanceTask(database.db, job.id, job.data, job.signal, config);
		}
	}
};
