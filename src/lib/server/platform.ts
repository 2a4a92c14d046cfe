import type { ResolvedConfig } from '#lib/server/config';
import { checkReachable, openDatabase, type Database } from '#lib/server/db/client';
import { startEmbeddedPostgres, type EmbeddedCluster } from '#lib/server/db/embedded';
import { applyMigrations } from '#lib/server/db/migrate';
import { ensureIngestRole } from '#lib/server/db/roles';
import { startQueue, type Queue, type WorkerKind } from '#lib/server/queue';
import { createStore, type ObjectStore } from '#lib/server/storage';
import { logger, type Logger } from '#lib/server/telemetry/logger';
import { startWorkers, type JobModule } from '#lib/server/workers/runner';

/**
 * The running parts of one process: database, queue, storage and, when asked,
 * workers. Every entry (web, worker, ingest, migrate) starts it through
 * `startPlatform` and stops it through `stopPlatform`, in the order issue #3 asks.
 */
export type Platform = {
	config: ResolvedConfig;
	log: Logger;
	database: Database;
	/** URL of the least-privilege ingest role (embedded: generated; else INGEST_DATABASE_URL) */
	ingestDatabaseUrl: string | null;
	queue: Queue;
	storage: ObjectStore;
	cluster: EmbeddedCluster | null;
	workerKinds: WorkerKind[];
};

let current: Platform | undefined;

export function platform(): Platform {
	if (!current) throw new Error('platform not started');
	return current;
}

export function platformStarted(): boolean {
	return current !== undefined;
}

export type StartOptions = {
	config: ResolvedConfig;
	/** job modules to run in this process */
	workers?: JobModule[];
	/** apply migrations at start (embedded mode always does) */
	migrate?: boolean;
	log?: Logger;
};

export async function startPlatform(opts: StartOptions): Promise<Platform> {
	if (current) return current;
	const { config } = opts;
	const log = opts.log ?? logger;
	let cluster: EmbeddedCluster | null = null;
	let url = config.DATABASE_URL;
	let ingestDatabaseUrl = config.INGEST_DATABASE_URL ?? null;
	if (!url) {
		cluster = await startEmbeddedPostgres({ dataDir: config.dataDir, password: config.generated!.postgresPassword, log });
		url = cluster.url;
	}
	const database = openDatabase(url, config.DATABASE_POOL_SIZE);
	try {
		await checkReachable(database);
		if (cluster || opts.migrate) await applyMigrations(database);
		const queue = await startQueue({
			url,
			log,
			policy: {
				retryLimit: config.QUEUE_RETRY_LIMIT,
				retryDelay: config.QUEUE_RETRY_DELAY,
				retryBackoff: config.QUEUE_RETRY_BACKOFF,
				expireInSeconds: config.QUEUE_JOB_TIMEOUT
			}
		});
		if (cluster) {
			// Embedded mode: the ingest role gets a generated password so the `ingest` entry can log in.
			const password = config.generated!.ingestPassword;
			await ensureIngestRole(database, password);
			const u = new URL(url);
			u.username = 'wipecert_ingest';
			u.password = encodeURIComponent(password);
			ingestDatabaseUrl = u.toString();
		}
		const storage = await createStore(config);
		const workers = opts.workers ?? [];
		current = { config, log, database, ingestDatabaseUrl, queue, storage, cluster, workerKinds: workers.map((w) => w.kind) };
		if (workers.length) await startWorkers(queue, workers, { concurrency: config.WORKER_CONCURRENCY, log });
		return current;
	} catch (error) {
		await database.close(1);
		await cluster?.stop();
		throw error;
	}
}

/**
 * Stops in the order issue #3 asks (HTTP is already drained by adapter-node
 * before `sveltekit:shutdown`): workers finish or release their jobs, the queue
 * closes, the pool closes, the embedded PostgreSQL stops.
 *
 * The whole stop fits in `timeoutMs` (default SHUTDOWN_TIMEOUT; the web entry
 * passes what is left of it after the HTTP drain): the queue gets the budget
 * minus a reserve for the pool, and the pool gets what is then left — at most
 * 5 s, never more than the deadline allows (0: connections are ended at once).
 */
export async function stopPlatform(timeoutMs?: number): Promise<void> {
	const p = current;
	if (!p) return;
	current = undefined;
	const budget = Math.max(0, timeoutMs ?? p.config.SHUTDOWN_TIMEOUT * 1000);
	const deadline = Date.now() + budget;
	const poolReserve = Math.min(POOL_CLOSE_MS, Math.floor(budget / 4));
	p.log.info({ timeoutMs: budget }, 'stopping workers and queue');
	await p.queue.stop({ graceful: true, timeoutMs: Math.max(0, budget - poolReserve) });
	await p.database.close(Math.min(POOL_CLOSE_MS, Math.max(0, deadline - Date.now())) / 1000);
	if (p.cluster?.owned) {
		p.log.info('stopping embedded PostgreSQL');
		await p.cluster.stop();
	}
	p.log.info('stopped');
}

/** Longest wait for busy pool connections to finish their query at shutdown. */
const POOL_CLOSE_MS = 5000;
