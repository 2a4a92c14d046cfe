import { logOrigin } from '#lib/server/log';
import { ensureMaintenanceSchedules, runMaintenanceTask } from '#lib/server/maintenance';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The maintenance worker: purges of expired rows, retention, anonymisation
 * and the integrity check, sent by pg-boss schedules (MAINTENANCE_*CRON) that
 * this worker creates when it starts, and selfchecks.
 */
export const maintenance: JobModule = {
	kind: 'maintenance',
	async bind({ queue, database, config, storage, signer, log }) {
		await ensureMaintenanceSchedules(queue, config);
		const deps = {
			storage,
			publishedKeys: async () => (await signer()).publicKeys(),
			logOrigin: logOrigin(config),
			log: log.child({ worker: 'maintenance', queue: 'maintenance' })
		};
		return {
			maintenance: (job) => runMaintenanceTask(database.db, job.id, job.data, job.signal, config, deps)
		};
	}
};
