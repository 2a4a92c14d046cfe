import type { WorkerKind } from '#lib/server/queue';
import type { BuildInfo, JobModule } from '#lib/server/workers/runner';
import { anchorWorker } from './anchor';
import { maintenance } from './maintenance';
import { notifications } from './notifications';
import { proofWorker } from './proof';
import { reports } from './reports';
import { retry } from './retry';

/**
 * The worker kinds this build ships. A kind of the queue catalogue that is not
 * here is refused by `npm run worker` with a clear message rather than faked.
 */
export const jobModules: Partial<Record<WorkerKind, JobModule>> = {
	maintenance,
	retry,
	notifications,
	reports,
	proof: proofWorker,
	anchor: anchorWorker
};

export const build: BuildInfo = { kinds: Object.keys(jobModules) as WorkerKind[] };
