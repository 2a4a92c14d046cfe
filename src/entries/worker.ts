/**
 * `node build/worker.js KIND` (or WORKER_KIND): runs one worker kind.
 * WORKER_ONCE=true runs one claim pass and exits 0.
 */
import { jobModules } from '../jobs';
import { loadConfigOrExit } from '#lib/server/config';
import { isWorkerKind, WORKER_KINDS } from '#lib/server/queue';
import { startPlatform, stopPlatform, platform } from '#lib/server/platform';
import { logger } from '#lib/server/telemetry/logger';
import { startTracing, stopTracing } from '#lib/server/telemetry/tracing';
import { runOnce } from '#lib/server/workers/runner';

process.env.WIPECERT_ENTRY = 'worker';
const config = loadConfigOrExit();
const kind = process.argv[2] ?? config.WORKER_KIND;
if (!isWorkerKind(kind)) {
	process.stderr.write(`usage: worker KIND   (KIND one of: ${Object.keys(WORKER_KINDS).join(', ')}; or set WORKER_KIND)\n`);
	process.exit(2);
}
const mod = jobModules[kind];
if (!mod) {
	process.stderr.write(`worker kind "${kind}" is not part of this build yet; available: ${Object.keys(jobModules).join(', ')}\n`);
	process.exit(2);
}
await startTracing(config);
const log = logger.child({ worker: kind });
try {
	await startPlatform({ config, workers: config.WORKER_ONCE ? [] : [mod], log });
} catch (error) {
	log.fatal({ err: error }, (error as Error).message);
	process.exit(1);
}

if (config.WORKER_ONCE) {
	const handled = await runOnce(platform().queue, mod, { batchSize: config.WORKER_CONCURRENCY, log });
	log.info({ handled }, 'one claim pass done');
	await stopPlatform();
	await stopTracing();
	process.exit(0);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
	process.on(signal, async () => {
		if (stopping) return;
		stopping = true;
		log.info({ signal }, 'shutting down');
		try {
			await stopPlatform();
			// process.exit skips `beforeExit`: flush the spans of the jobs that just finished.
			await stopTracing();
			process.exit(0);
		} catch (error) {
			log.error({ err: error }, 'shutdown failed');
			process.exit(1);
		}
	});
}
log.info({ pid: process.pid }, 'worker running');
