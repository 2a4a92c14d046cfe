import type { WorkerKind } from '#lib/server/queue';
import type { JobModule } from '#lib/server/workers/runner';
import { maintenance } from './maintenance';
import { retry } from './retry';

/**
 * The worker kinds this build ships. A kind of the catalogue that is not here
 * yet is refused by `npm run worker` with a clear message rather than faked.
 */
export const jobModules: Partial<Record<WorkerKind, JobModule>> = {
	maintenance,
	retry
};
