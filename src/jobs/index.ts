import type { WorkerKind } from '#lib/server/queue';
import type { JobModule } from '#lib/server/workers/runner';
import { maintenance } from './maintenance';
import { proofWorker } from './proof';
import { retry } from './retry';

/** Kinds in this build, filled below; the proof worker reads it when its first job runs (anchor/notification jobs only when their workers exist). */
const kindsInBuild: string[] = [];

/**
 * The worker kinds this build ships. A kind of the catalogue that is not here
 * yet is refused by `npm run worker` with a clear message rather than faked.
 */
export const jobModules: Partial<Record<WorkerKind, JobModule>> = {
	maintenance,
	retry,
	proof: proofWorker(kindsInBuild)
};
kindsInBuild.push(...Object.keys(jobModules));
