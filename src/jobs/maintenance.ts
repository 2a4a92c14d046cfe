import { runMaintenanceTask } from '#lib/server/maintenance';
import { platform } from '#lib/server/platform';
import type { JobModule } from '#lib/server/workers/runner';

export const maintenance: JobModule = {
	kind: 'maintenance',
	handlers: {
		maintenance: (job) => runMaintenanceTask(platform().database.db, job.id, job.data, job.signal)
	}
};
