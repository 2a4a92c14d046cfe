/**
 * The body of `node build/worker.js KIND`, loaded once the kind is known and
 * the process runs with its final V8 flags (see worker.ts).
 */
import { createServer, type Server } from 'node:http';
import { build, jobModules } from '../jobs';
import type { ResolvedConfig } from '#lib/server/config';
import { startContainer, stopContainer, type Container } from '#lib/server/container';
import type { WorkerKind } from '#lib/server/queue/catalogue';
import { installProcessGuard } from '#lib/server/telemetry/guard';
import { logger } from '#lib/server/telemetry/logger';
import { registry } from '#lib/server/telemetry/metrics';
import { startTracing, stopTracing } from '#lib/server/telemetry/tracing';
import { runOnce, startWorkers } from '#lib/server/workers/runner';

export async function runWorker(config: ResolvedConfig, kind: WorkerKind): Promise<void> {
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
}
