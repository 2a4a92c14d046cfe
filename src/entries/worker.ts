/**
 * `node build/worker.js KIND` (or WORKER_KIND): runs one worker kind.
 * WORKER_ONCE=true runs one claim pass and exits 0.
 */
import { createServer, type Server } from 'node:http';
import { build, jobModules } from '../jobs';
import { loadConfigOrExit } from '#lib/server/config';
import { startContainer, stopContainer, type Container } from '#lib/server/container';
import { isWorkerKind, WORKER_KINDS } from '#lib/server/queue';
import { installProcessGuard } from '#lib/server/telemetry/guard';
import { logger } from '#lib/server/telemetry/logger';
import { registry } from '#lib/server/telemetry/metrics';
import { startTracing, stopTracing } from '#lib/server/telemetry/tracing';
import { runOnce, startWorkers } from '#lib/server/workers/runner';

process.env.WIPECERT_ENTRY = 'worker';
const config = loadConfigOrExit();

// V8 sizes the young generation from the host's memory (64 MB semi-spaces
// on a 24 GB host), which alone kept ~130 MB resident in an idle worker. Heap
// sizes are fixed when the isolate starts, so the process replaces itself
// (same pid, for supervisors) with the flags the settings ask for; a flag given
// on the command line or in NODE_OPTIONS wins.
const v8Flags = [
	config.WORKER_SEMI_SPACE_MB ? `--max-semi-space-size=${config.WORKER_SEMI_SPACE_MB}` : null,
	config.WORKER_MAX_OLD_SPACE_MB ? `--max-old-space-size=${config.WORKER_MAX_OLD_SPACE_MB}` : null
].filter((flag): flag is string => flag !== null);
const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.split('=')[0].replaceAll('_', '-'));
const missing = v8Flags.filter((flag) => !given.includes(flag.split('=')[0]));
// glibc gives each libuv thread (webcrypto, fs) its own malloc arena; two keep ~50 MB less resident in the proof worker
// (docs/decisions/0005-worker-heap-limits.md).
if (missing.length)
	process.execve!(process.execPath, [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)], { MALLOC_ARENA_MAX: '2', ...process.env });

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
let app: Container;
try {
	app = await startContainer({ config, log, entry: 'worker' });
	if (!config.WORKER_ONCE) await startWorkers(app, [mod], build);
} catch (error) {
	log.fatal({ err: error }, (error as Error).message);
	process.exit(1);
}
installProcessGuard(log);

if (config.WORKER_ONCE) {
	const handled = await runOnce(app, mod, build);
	log.info({ handled }, 'one claim pass done');
	await stopContainer(app);
	await stopTracing();
	process.exit(0);
}

let metricsServer: Server | undefined;
if (config.WORKER_METRICS_PORT) {
	// Prometheus scrapes each worker process for its own job histograms (a worker serves nothing else)
	metricsServer = createServer(async (req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		if (req.method === 'GET' && path === '/metrics') {
			res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
		} else if (req.method === 'GET' && path === '/healthz') {
			res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', worker: kind }));
		} else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"only /metrics and /healthz"}}');
	});
	metricsServer.listen(config.WORKER_METRICS_PORT, config.HOST, () => log.info({ host: config.HOST, port: config.WORKER_METRICS_PORT }, 'worker metrics listening'));
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
	process.on(signal, async () => {
		if (stopping) return;
		stopping = true;
		log.info({ signal }, 'shutting down');
		try {
			metricsServer?.close();
			await stopContainer(app);
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
