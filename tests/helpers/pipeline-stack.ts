import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureIngestRole, INGEST_ROLE } from '../../src/lib/server/db/roles';
import { freePort } from './app-process';
import { createTestDatabase } from './db';

export type Proc = {
	child: ChildProcess;
	output(): string;
	/** SIGTERM, then SIGKILL after 10 s */
	stop(): Promise<void>;
	/** kill -9 */
	kill(): Promise<void>;
};

export type Stack = {
	origin: string;
	dataDir: string;
	env: Record<string, string>;
	database: Awaited<ReturnType<typeof createTestDatabase>>['database'];
	/** a login role that is a member of wipecert_ingest (its own password: no clash with other test files) */
	ingestUrl: string;
	app: Proc;
	worker(kind: string, env?: Record<string, string>): Promise<Proc>;
	stop(): Promise<void>;
};

function spawnProc(args: string[], env: Record<string, string>): Proc {
	let out = '';
	const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout?.on('data', (d) => (out += d));
	child.stderr?.on('data', (d) => (out += d));
	const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
	return {
		child,
		output: () => out,
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			await Promise.race([exited(), new Promise((r) => setTimeout(r, 10_000))]);
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await exited();
		},
		async kill() {
			child.kill('SIGKILL');
			await exited();
		}
	};
}

/**
 * The built app as its own process on a fresh database of the run's
 * PostgreSQL ("on the real stack"), with the agent gateway on a
 * least-privilege login role, and worker processes on demand (same database,
 * same DATA_DIR: the keyring is shared as in a deployment with a shared volume).
 */
export async function startStack(opts: { env?: Record<string, string> } = {}): Promise<Stack> {
	if (!existsSync('build/index.js')) throw new Error('build/index.js is missing: run `npm run build` first');
	const db = await createTestDatabase();
	const port = await freePort();
	const origin = `http://localhost:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-stack-'));
	const role = `wc_ingest_${randomBytes(5).toString('hex')}`;
	const password = randomBytes(18).toString('base64url');
	const ingest = new URL(db.url);
	ingest.username = role;
	ingest.password = password;
	const env: Record<string, string> = {
		NODE_ENV: 'development',
		ORIGIN: origin,
		HOST: '127.0.0.1',
		DATA_DIR: dataDir,
		DATABASE_URL: db.url,
		INGEST_DATABASE_URL: ingest.toString(),
		WORKERS: 'none',
		LOG_LEVEL: 'warn',
		RATE_LIMIT_SIGNIN: '1000/60',
		RATE_LIMIT_TOKEN: '1000/60',
		RATE_LIMIT_INGEST: 'off',
		...opts.env
	};
	const app = spawnProc(['build/index.js'], { ...env, PORT: String(port) });
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (app.child.exitCode !== null) throw new Error(`app exited with ${app.child.exitCode}:\n${app.output()}`);
		try {
			if ((await fetch(`${origin}/readyz`)).ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			await app.stop();
			throw new Error(`app did not become ready:\n${app.output()}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	// The app created pg-boss's schema; now the grants, and our own member of the ingest role.
	await ensureIngestRole(db.database, null);
	await db.database.sql.unsafe(`create role ${role} login password '${password}' in role ${INGEST_ROLE}`);
	const procs: Proc[] = [app];
	return {
		origin,
		dataDir,
		env,
		database: db.database,
		ingestUrl: ingest.toString(),
		app,
		async worker(kind, extra = {}) {
			const w = spawnProc(['build/worker.js', kind], { ...env, ...extra });
			procs.push(w);
			return w;
		},
		async stop() {
			for (const p of procs) await p.stop();
			await db.database.sql.unsafe(`drop role if exists ${role}`).catch(() => undefined);
			await db.drop();
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
