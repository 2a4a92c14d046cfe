import type { ResolvedConfig } from '#lib/server/config';
import { checkReachable, openDatabase, type Database } from '#lib/server/db/client';
import { startEmbeddedPostgres, type EmbeddedCluster } from '#lib/server/db/embedded';
import { applyMigrations } from '#lib/server/db/migrate';
import { ensureIngestRole } from '#lib/server/db/roles';
import { EventHub } from '#lib/server/events';
import { startQueue, type Queue, type WorkerKind } from '#lib/server/queue';
import { keyringFromConfig, postgresLeaseStore, remoteFromConfig, traceSigner, type Signer } from '#lib/server/signer';
import { createStore, type ObjectStore } from '#lib/server/storage';
import type { Logger } from '#lib/server/telemetry/logger';

/** Which program this process is: decides the parts it starts (docs/architecture.md, "Processes"). */
export type Entry = 'web' | 'ingest' | 'worker' | 'migrate' | 'test';

/**
 * The running parts of one process, built once at start-up by `startContainer`
 * and handed on explicitly: to routes as `event.locals.app`, to job handlers
 * when a worker kind binds to it. Nothing else holds a service: no module
 * keeps a pool, a signer or a hub of its own. `stopContainer` stops the parts
 * in the reverse order they started.
 */
export type Container = {
	entry: Entry;
	config: ResolvedConfig;
	log: Logger;
	/** the app role's pool */
	database: Database;
	/**
	 * The pool `/ingest/v1` runs on: the least-privilege `wipecert_ingest` role
	 * whenever its URL is known (embedded mode generates it; production sets
	 * INGEST_DATABASE_URL), otherwise the app pool (with one warning at start).
	 */
	ingestDatabase: Database;
	/** URL of the ingest role, null when the app role stands in */
	ingestDatabaseUrl: string | null;
	queue: Queue;
	storage: ObjectStore;
	/**
	 * The process's signer: the in-process keyring (keys under DATA_DIR/keys,
	 * leased through PostgreSQL) or the remote signer over mTLS. Started on first
	 * use, so entries that never sign (migrate, ingest) never open the keyring;
	 * closed at stop, which flushes the keyring's usage counters.
	 */
	signer(): Promise<Signer>;
	/** live events (LISTEN/NOTIFY) for the SSE streams of this process */
	events: EventHub;
	cluster: EmbeddedCluster | null;
	/** the built-in dev identity provider's loopback server, when this web process serves the dev realm */
	devRealm: { port: number } | null;
	/** worker kinds running in this process */
	workerKinds: WorkerKind[];
	/** parts that started after the core (dev identity provider, workers): stopped first, in reverse */
	onStop(stop: () => Promise<void>): void;
};

export type StartOptions = {
	config: ResolvedConfig;
	log: Logger;
	entry: Entry;
	/** apply migrations at start (the embedded database always does) */
	migrate?: boolean;
};

/**
 * Starts the core of a process: embedded PostgreSQL when DATABASE_URL is
 * unset, the pools, migrations, pg-boss, storage, and the (lazy) signer. A
 * failure part-way stops what already started, then throws.
 */
export async function startContainer(opts: StartOptions): Promise<Container> {
	const { config, log, entry } = opts;
	// each part's stop, in start order
	const stops: Stop[] = [];
	const stopStarted = async () => {
		for (const stop of stops.reverse()) await stop({ deadline: Date.now(), poolReserve: 0 }).catch((error) => log.warn({ err: error }, 'stopping a part after a failed start'));
	};
	try {
		let url = config.DATABASE_URL;
		let cluster: EmbeddedCluster | null = null;
		if (!url) {
			cluster = await startEmbeddedPostgres({ dataDir: config.dataDir, password: config.generated!.postgresPassword, log });
			const c = cluster;
			stops.push(async () => {
				if (!c.owned) return;
				log.info('stopping embedded PostgreSQL');
				await c.stop();
			});
			url = cluster.url;
		}
		const database = openDatabase(url, config.DATABASE_POOL_SIZE);
		stops.push(({ deadline }) => database.close(poolBudget(deadline)));
		await checkReachable(database);
		if (cluster || opts.migrate) await applyMigrations(database);

		const events = new EventHub(database.sql, log);
		stops.push(() => events.close());

		let signer: Promise<Signer> | undefined;
		stops.push(async () => {
			const s = signer;
			signer = undefined;
			// a signer that never started (or failed to) has nothing to flush
			if (s) await (await s.catch(() => null))?.close();
		});
		const getSigner = () => {
			if (!signer) {
				// app and worker processes share DATA_DIR/keys: their keyrings lease keys through the database
				signer = (config.SIGNER_URL ? Promise.resolve(remoteFromConfig(config)) : keyringFromConfig(config, postgresLeaseStore(database.db))).then((s) =>
					// a span per call when tracing is on (telemetry/instrument.ts)
					traceSigner(s, config.SIGNER_URL ? 'remote' : 'local')
				);
				// a failed first start (e.g. a wrong passphrase) is tried again on the next call, not cached
				signer.catch(() => (signer = undefined));
			}
			return signer;
		};

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
		// stopped before the signer, the hub and the pools: it drains the workers, which still use them;
		// it gets the budget but for the pools' reserve
		stops.push(async ({ deadline, poolReserve }) => {
			log.info('stopping workers and queue');
			await queue.stop({ graceful: true, timeoutMs: Math.max(0, deadline - Date.now() - poolReserve) });
		});
		let ingestDatabaseUrl = config.INGEST_DATABASE_URL ?? null;
		if (cluster) {
			// Embedded mode: the ingest role gets a generated password so the `ingest` entry can log in
			// (after the queue started: its grants include pg-boss's schema).
			const password = config.generated!.ingestPassword;
			await ensureIngestRole(database, password);
			const u = new URL(url);
			u.username = 'wipecert_ingest';
			u.password = encodeURIComponent(password);
			ingestDatabaseUrl = u.toString();
		}
		let ingestDatabase = database;
		if (ingestDatabaseUrl && entry !== 'migrate') {
			// Its pool is as large as the app's: at half the size, 50 agents queued for 5 connections
			// (bench/results.md, ingest).
			const ingest = openDatabase(ingestDatabaseUrl, config.DATABASE_POOL_SIZE);
			stops.push(({ deadline }) => ingest.close(poolBudget(deadline)));
			ingestDatabase = ingest;
		} else if (entry === 'web' || entry === 'ingest') {
			log.warn('INGEST_DATABASE_URL is not set: /ingest/v1 uses the app database role');
		}

		const storage = await createStore(config);

		const late: Stop[] = [];
		const container: Container = {
			entry,
			config,
			log,
			database,
			ingestDatabase,
			ingestDatabaseUrl,
			queue,
			storage,
			signer: getSigner,
			events,
			cluster,
			devRealm: null,
			workerKinds: [],
			onStop: (stop) => void late.push(() => stop())
		};
		running.set(container, { stops, late });
		return container;
	} catch (error) {
		await stopStarted();
		throw error;
	}
}

type Stop = (budget: { deadline: number; poolReserve: number }) => Promise<void>;
const running = new WeakMap<Container, { stops: Stop[]; late: Stop[] }>();

/** Seconds a pool may wait for busy connections: at most 5, never past the deadline (0 ends them at once). */
const poolBudget = (deadline: number) => Math.min(POOL_CLOSE_MS, Math.max(0, deadline - Date.now())) / 1000;

/**
 * Stops a container in the reverse order of its start, within `timeoutMs`
 * (default SHUTDOWN_TIMEOUT; the web entry passes what its HTTP drain left):
 * the late parts (dev identity provider), the ingest pool (HTTP is drained
 * already), then the queue, which lets running jobs finish and past the budget
 * fails them back to `retry` so another worker takes them (nothing is lost),
 * then the signer (flushing the keyring's usage), the event hub, the app pool
 * and the embedded PostgreSQL.
 * The pools get at most 5 s of the budget for busy connections.
 */
export async function stopContainer(app: Container, timeoutMs?: number): Promise<void> {
	const parts = running.get(app);
	if (!parts) return;
	running.delete(app);
	const budget = Math.max(0, timeoutMs ?? app.config.SHUTDOWN_TIMEOUT * 1000);
	const times = { deadline: Date.now() + budget, poolReserve: Math.min(POOL_CLOSE_MS, Math.floor(budget / 4)) };
	for (const stop of [...parts.late.reverse(), ...parts.stops.reverse()]) await stop(times);
	app.log.info('stopped');
}

/** Longest wait for busy pool connections to finish their query at shutdown. */
const POOL_CLOSE_MS = 5000;
