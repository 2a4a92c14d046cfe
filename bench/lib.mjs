/**
 * Shared pieces of `npm run bench`: the built app as a child process on a
 * temporary DATA_DIR, its embedded database, the bundled TypeScript helpers,
 * and small statistics.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** Bundles bench/support.ts (and what it imports through #lib/*) with Vite; dependencies stay external. */
export async function loadSupport(outDir) {
	const { build } = await import('vite');
	await build({
		root,
		configFile: false,
		logLevel: 'warn',
		build: {
			ssr: join(root, 'bench/support.ts'),
			outDir,
			emptyOutDir: false,
			target: 'node24',
			rollupOptions: { output: { entryFileNames: 'support.js', format: 'esm' } }
		}
	});
	return import(join(outDir, 'support.js'));
}

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/**
 * `node build/index.js` on a free loopback port with its own DATA_DIR (embedded
 * PostgreSQL, dev realm), resolved once /readyz answers 200.
 */
export async function startApp(env = {}) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-bench-'));
	let output = '';
	const child = spawn(process.execPath, [join(root, 'build/index.js')], {
		cwd: root,
		env: {
			PATH: process.env.PATH,
			NODE_ENV: 'development',
			PORT: String(port),
			HOST: '127.0.0.1',
			ORIGIN: origin,
			DATA_DIR: dataDir,
			LOG_LEVEL: 'warn',
			...env
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout.on('data', (d) => (output = (output + d).slice(-20_000)));
	child.stderr.on('data', (d) => (output = (output + d).slice(-20_000)));
	const exited = new Promise((r) => child.once('exit', r));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const timer = new Promise((r) => setTimeout(r, 30_000).unref());
			if ((await Promise.race([exited.then(() => 'exited'), timer])) !== 'exited') child.kill('SIGKILL');
		}
		rmSync(dataDir, { recursive: true, force: true });
	};
	const deadline = Date.now() + 180_000;
	for (;;) {
		if (child.exitCode !== null) {
			await stop();
			throw new Error(`the app exited with ${child.exitCode}:\n${output}`);
		}
		try {
			if ((await fetch(`${origin}/readyz`)).ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`the app did not become ready:\n${output}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	return { origin, port, dataDir, output: () => output, stop };
}

/** The app role's URL of the embedded PostgreSQL a DATA_DIR runs (port from postmaster.pid, password from secrets.json). */
export function embeddedDatabaseUrl(dataDir) {
	const port = Number(readFileSync(join(dataDir, 'pg/postmaster.pid'), 'utf8').split('\n')[3]);
	const { postgresPassword } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
	return `postgres://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port}/wipecert`;
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values, p) {
	if (!values.length) return null;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (v, digits = 2) => (v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits)));

/** One result row: `{ name, value, unit, baseline, ratio }` (ratio = value / baseline), plus what explains it. */
export function result(name, unit, value, baseline, extra = {}) {
	return { name, value: round(value), unit, baseline: round(baseline), ratio: value && baseline ? round(value / baseline, 3) : null, ...extra };
}

export function skipped(name, unit, reason) {
	return { name, value: null, unit, baseline: null, ratio: null, skipped: reason };
}
