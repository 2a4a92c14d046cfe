import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/lib/server/db/embedded';
import { createTestDatabase } from './db';

export { freePort };

/**
 * Process helpers for tests of the built entries (`node build/index.js`,
 * `build/worker.js`, `build/migrate.js`): each child gets only the
 * environment the test gives it, its output is kept for assertions, and
 * `stop()` never leaves it running.
 */

export function requireBuild(...entries: string[]): void {
	for (const entry of entries.length ? entries : ['index.js']) {
		if (!existsSync(join('build', entry))) throw new Error(`build/${entry} is missing: run \`npm run build\` first`);
	}
}

export function tempDir(prefix: string): { path: string; remove(): void } {
	const path = mkdtempSync(join(tmpdir(), `wipecert-${prefix}-`));
	return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitUntil<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 20_000, everyMs = 100): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, everyMs));
	}
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type NodeProcess = {
	child: ChildProcess;
	pid: number;
	/** stdout and stderr, interleaved as they arrived */
	output(): string;
	/** stdout parsed as pino JSON lines (non-JSON lines skipped) */
	logs(): Record<string, unknown>[];
	exited: Promise<Exit>;
	/** the exit, or a thrown error after timeoutMs (the process is then killed) */
	exit(timeoutMs?: number): Promise<Exit>;
	waitForLog(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
	/** SIGTERM, then SIGKILL after graceMs; resolves with the exit */
	stop(graceMs?: number): Promise<Exit>;
};

/** Starts `node <script> ...args` with exactly `env` (plus PATH). */
export function startNode(script: string, args: string[], env: Record<string, string | undefined>): NodeProcess {
	const clean = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
	const child = spawn(process.execPath, [resolve(script), ...args], { env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	let stdout = '';
	child.stdout!.on('data', (d: Buffer) => {
		out += d;
		stdout += d;
	});
	child.stderr!.on('data', (d: Buffer) => (out += d));
	const exited = new Promise<Exit>((r) => child.once('exit', (code, signal) => r({ code, signal })));
	const logs = () =>
		stdout.split('\n').flatMap((line) => {
			if (!line.startsWith('{')) return [];
			try {
				return [JSON.parse(line) as Record<string, unknown>];
			} catch {
				return [];
			}
		});
	const proc: NodeProcess = {
		child,
		pid: child.pid!,
		output: () => out,
		logs,
		exited,
		async exit(timeoutMs = 30_000) {
			const timer = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
			const result = await Promise.race([exited, timer]);
			if (result) return result;
			child.kill('SIGKILL');
			throw new Error(`${script} did not exit within ${timeoutMs} ms:\n${out}`);
		},
		async waitForLog(match, what, timeoutMs = 20_000) {
			return waitUntil(
				() => {
					if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}) before ${what}:\n${out}`);
					return logs().find(match) ?? null;
				},
				what,
				timeoutMs
			);
		},
		async stop(graceMs = 10_000) {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = new Promise<null>((r) => setTimeout(() => r(null), graceMs).unref());
				if (!(await Promise.race([exited, timer]))) child.kill('SIGKILL');
			}
			return exited;
		}
	};
	return proc;
}

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export type Server = {
	origin: string;
	port: number;
	dataDir: string;
	db: TestDatabase;
	proc: NodeProcess;
	stop(): Promise<void>;
};

/**
 * `node build/index.js` on a free port with its own DATA_DIR and a fresh
 * migrated database of the run's embedded PostgreSQL; resolves once /readyz
 * answers 200.
 */
export async function startServer(env: Record<string, string> = {}): Promise<Server> {
	requireBuild('index.js');
	const db = await createTestDatabase();
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const data = tempDir('server');
	const proc = startNode('build/index.js', [], {
		NODE_ENV: 'development',
		PORT: String(port),
		HOST: '127.0.0.1',
		ORIGIN: origin,
		DATA_DIR: data.path,
		DATABASE_URL: db.url,
		WORKERS: 'none',
		LOG_LEVEL: 'info',
		BODY_SIZE_LIMIT: 'Infinity',
		...env
	});
	const stop = async () => {
		await proc.stop();
		await db.drop();
		data.remove();
	};
	try {
		await waitUntil(
			async () => {
				if (proc.child.exitCode !== null) throw new Error(`server exited with ${proc.child.exitCode}:\n${proc.output()}`);
				try {
					return (await fetch(`${origin}/readyz`)).ok;
				} catch {
					return false;
				}
			},
			'/readyz 200',
			60_000,
			200
		);
	} catch (error) {
		await stop();
		throw error;
	}
	return { origin, port, dataDir: data.path, db, proc, stop };
}
