import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './db';

/** A free loopback port (bound, read, released). */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const address = s.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			s.close(() => resolve(port));
		});
	});
}

export type AppProcess = {
	origin: string;
	database: Awaited<ReturnType<typeof createTestDatabase>>['database'];
	output(): string;
	stop(): Promise<void>;
};

/**
 * The built app (`node build/index.js`) as its own process on a free port,
 * with its own DATA_DIR and a fresh migrated database of the run's embedded
 * PostgreSQL; the dev realm runs inside it (OIDC_ISSUER unset).
 */
export async function startApp(env: Record<string, string> = {}): Promise<AppProcess> {
	if (!existsSync('build/index.js')) throw new Error('build/index.js is missing: run `npm run build` first');
	const db = await createTestDatabase();
	// a caller that must know the origin before the start (keys named after it) passes PORT
	const port = env.PORT ? Number(env.PORT) : await freePort();
	const origin = `http://localhost:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-app-'));
	let out = '';
	const child: ChildProcess = spawn(process.execPath, ['build/index.js'], {
		env: {
			PATH: process.env.PATH,
			NODE_ENV: 'development',
			PORT: String(port),
			HOST: '127.0.0.1',
			ORIGIN: origin,
			DATA_DIR: dataDir,
			DATABASE_URL: db.url,
			WORKERS: 'none',
			LOG_LEVEL: 'warn',
			// Tests sign in many times a minute from one address.
			RATE_LIMIT_SIGNIN: '1000/60',
			RATE_LIMIT_TOKEN: '1000/60',
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout?.on('data', (d) => (out += d));
	child.stderr?.on('data', (d) => (out += d));
	const stop = async () => {
		if (child.exitCode === null) {
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGTERM');
			await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
			if (child.exitCode === null) child.kill('SIGKILL');
		}
		await db.drop();
		rmSync(dataDir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 60_000;
	for (;;) {
		if (child.exitCode !== null) {
			await stop();
			throw new Error(`app exited with ${child.exitCode}:\n${out}`);
		}
		try {
			if ((await fetch(`${origin}/readyz`)).ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`app did not become ready:\n${out}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	return { origin, database: db.database, output: () => out, stop };
}
