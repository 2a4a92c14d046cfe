/**
 * Shared pieces of `npm run bench`: the built app as a child process on a
 * temporary DATA_DIR, its embedded database, the bundled TypeScript helpers,
 * and small statistics.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * A private copy of the build (with package.json, migrations and static fonts)
 * under bench/out, so a rebuild by someone else in the shared tree during a
 * long run cannot change or remove the files the benchmarks run. Dependencies
 * still resolve from the repository's node_modules. Returns its root.
 */
export function snapshotBuild(from = root) {
	mkdirSync(join(root, 'bench/out'), { recursive: true });
	const to = mkdtempSync(join(root, 'bench/out/app-'));
	for (const part of ['build', 'drizzle', 'static', 'package.json']) cpSync(join(from, part), join(to, part), { recursive: true });
	return to;
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
 * The V8 heap settings of a web server process without workers, as
 * compose.yaml's `api` and `ingest` services run it (see the comment there):
 * Node 24 sizes the young generation from the heap limit, 64 MiB semi-spaces
 * on this 24 GiB machine, where a web server needs a few.
 */
export const WEB_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=512'];

/**
 * `node build/index.js` on a free loopback port with its own DATA_DIR (embedded
 * PostgreSQL, dev realm), resolved once /readyz answers 200.
 */
export async function startApp(env = {}, { name = 'app', appRoot = root } = {}) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-bench-'));
	let output = '';
	// BENCH_CPU_PROF=DIR: the app writes a V8 CPU profile there on exit (open it in Chrome DevTools or speedscope)
	const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
	// a web server without workers runs with the V8 flags compose.yaml gives the `api` and `ingest` services
	const flags = env.WORKERS === 'none' ? WEB_NODE_FLAGS : [];
	const child = spawn(process.execPath, [...flags, ...profile, join(appRoot, 'build/index.js')], {
		cwd: appRoot,
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
	/** `keepData`: leave DATA_DIR (keys, objects) for the caller, who removes it */
	const stop = async ({ keepData = false } = {}) => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const timer = new Promise((r) => setTimeout(r, 30_000).unref());
			if ((await Promise.race([exited.then(() => 'exited'), timer])) !== 'exited') child.kill('SIGKILL');
		}
		if (!keepData) rmSync(dataDir, { recursive: true, force: true });
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
	return { origin, port, dataDir, pid: child.pid, output: () => output, stop };
}

/**
 * `node build/worker.js KIND` attached to the app of `dataDir` (same DATA_DIR:
 * it attaches to that embedded PostgreSQL, as README's Entries describe), with
 * the app's settings in `env`. Resolved once the worker logs "worker running"
 * (LOG_LEVEL=info for that line; per-job lines go to a bounded buffer).
 * `nodeOptions`: extra node flags (e.g. --max-old-space-size) for this process.
 */
export async function startWorker(kind, env, { dataDir, appRoot = root, nodeOptions = [] } = {}) {
	let output = '';
	const child = spawn(process.execPath, [...nodeOptions, join(appRoot, 'build/worker.js'), kind], {
		cwd: appRoot,
		env: { PATH: process.env.PATH, NODE_ENV: 'development', DATA_DIR: dataDir, ...env, LOG_LEVEL: 'info' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let ready;
	const running = new Promise((r) => (ready = r));
	const take = (d) => {
		output = (output + d).slice(-20_000);
		if (output.includes('worker running')) ready();
	};
	child.stdout.on('data', take);
	child.stderr.on('data', take);
	const exited = new Promise((r) => child.once('exit', r));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const timer = new Promise((r) => setTimeout(r, 30_000).unref());
			if ((await Promise.race([exited.then(() => 'exited'), timer])) !== 'exited') child.kill('SIGKILL');
		}
	};
	const timeout = new Promise((r) => setTimeout(() => r('timeout'), 120_000).unref());
	const outcome = await Promise.race([running.then(() => 'running'), exited.then(() => 'exited'), timeout]);
	if (outcome !== 'running') {
		await stop();
		throw new Error(`worker ${kind} ${outcome === 'exited' ? `exited with ${child.exitCode}` : 'did not start'}:\n${output}`);
	}
	return { kind, pid: child.pid, output: () => output, stop };
}

const TICK_MS = 10; // USER_HZ: /proc times are in 1/100 s on Linux

/** CPU time (user + system, ms) a process has used so far, from /proc/PID/stat; null off Linux. */
export function cpuMs(pid) {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
	} catch {
		return null;
	}
}

/**
 * CPU time (ms) the embedded PostgreSQL of a DATA_DIR has used so far: its live
 * processes plus what its exited children left to the postmaster. CPU per
 * request is what two runs on a shared, noisy machine can be compared by.
 */
export function postgresCpuMs(dataDir) {
	try {
		const postmaster = Number(readFileSync(join(dataDir, 'pg/postmaster.pid'), 'utf8').split('\n')[0]);
		const own = readFileSync(`/proc/${postmaster}/stat`, 'utf8').split(') ')[1].split(' ');
		let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
		for (const entry of readdirSync('/proc')) {
			if (!/^\d+$/.test(entry)) continue;
			try {
				const f = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
				if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
			} catch {
				// exited meanwhile
			}
		}
		return ticks * TICK_MS;
	} catch {
		return null;
	}
}

/** The app role's URL of the embedded PostgreSQL a DATA_DIR runs (port from postmaster.pid, password from secrets.json). */
export function embeddedDatabaseUrl(dataDir) {
	const port = Number(readFileSync(join(dataDir, 'pg/postmaster.pid'), 'utf8').split('\n')[3]);
	const { postgresPassword } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
	return `postgres://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port}/wipecert`;
}

/**
 * Samples pg_stat_activity every `everyMs` until `stop()` and counts what the
 * active backends of the database were waiting on (`wait_event_type:wait_event`,
 * `CPU` when running), by application_name: where the serialized time of a
 * load goes (lock waits, WAL flush, client reads).
 */
export function sampleWaits(sql, everyMs = 20) {
	const counts = {};
	let samples = 0;
	let running = true;
	const loop = (async () => {
		while (running) {
			const rows = await sql`select coalesce(application_name, '') as app, coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait
				from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()`;
			samples++;
			for (const r of rows) {
				const key = `${r.app || 'other'} ${r.wait}`;
				counts[key] = (counts[key] ?? 0) + 1;
			}
			await new Promise((r) => setTimeout(r, everyMs));
		}
	})();
	return async () => {
		running = false;
		await loop;
		// average number of backends in each state per sample, largest first
		return Object.fromEntries(
			Object.entries(counts)
				.sort((a, b) => b[1] - a[1])
				.slice(0, 12)
				.map(([k, v]) => [k, round(v / Math.max(1, samples), 2)])
		);
	};
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
