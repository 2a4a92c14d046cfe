/**
 * Ingest: POST /ingest/v1/proofs, every request signed afresh (RFC 9421, as
 * an agent does: a new nonce each time), carrying real proofs that agent-sim
 * pre-generated (not timed). Workers are off (WORKERS=none), so only the
 * gateway is measured: signature check, object write, proof row and job.
 * Two phases on the same app:
 *
 * 1. open loop at a fixed rate (OPEN_RATE/s, bench/open-loop.mjs): latency
 *    from each request's scheduled moment, so queueing shows (p50/p99), with
 *    the generator's own lateness and CPU per request of app and PostgreSQL;
 * 2. closed loop at 50 connections with autocannon: the maximum rate, with
 *    CPU per request of app and PostgreSQL.
 *
 * Baseline, same run and same database: a raw INSERT loop of the same proof
 * rows through postgres.js, 50 loops over a pool of DATABASE_POOL_SIZE
 * connections, for the same time.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { openLoop } from './open-loop.mjs';
import { cpuMs, embeddedDatabaseUrl, percentile, postgresCpuMs, result, root, sampleWaits, skipped, startApp } from './lib.mjs';

const CONNECTIONS = 50;
const POOL = 10; // DATABASE_POOL_SIZE's default: the app's pool in the same run

/** The open-loop phase's offered rate (proofs/s): the rate the gateway must hold with p99 < 50 ms. */
const OPEN_RATE = 200;

const names = { rps: 'ingest.requests_per_second', p50: 'ingest.latency_p50', p99: 'ingest.latency_p99', openP50: 'ingest.open_loop_p50', openP99: 'ingest.open_loop_p99' };
const skipAll = (reason) => [
	skipped(names.rps, 'req/s', reason),
	skipped(names.p50, 'ms', reason),
	skipped(names.p99, 'ms', reason),
	skipped(names.openP50, 'ms', reason),
	skipped(names.openP99, 'ms', reason)
];
/** The 1-minute load average, rounded: the machine is shared, so each figure says how busy it was. */
const load1 = () => Math.round(loadavg()[0] * 100) / 100;

export function run(args, cwd = root) {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

/** An operator's single-use enrolment token, through the dev realm's sign-in and the API. */
export async function enrolmentToken(support, origin) {
	const jar = await support.signInToApp(origin, 'operator@acme.test');
	const r = await fetch(`${origin}/api/v1/agents/enrolments`, {
		method: 'POST',
		headers: { cookie: jar.header(), origin, 'content-type': 'application/json' },
		body: JSON.stringify({ name: 'bench ingest' })
	});
	const body = await r.json().catch(() => ({}));
	if (r.status !== 201) return { error: `POST /api/v1/agents/enrolments answered ${r.status} ${body?.error?.code ?? ''}`.trim() };
	return { token: body.token };
}

/** `appRoot`: another checkout's build to load (a before/after comparison in one run); `seconds`: load time. */
/** `openRate`: the open-loop phase's rate (proofs/s) instead of OPEN_RATE (50 when quick). */
export async function ingestBenchmark({ quick, support, log, appRoot = root, seconds: forSeconds, proofs: forProofs, openRate: forRate }) {
	if (!existsSync(join(appRoot, 'build/agent-sim.js'))) return skipAll('agent-sim is not part of this build yet (build/agent-sim.js): it pre-generates the proofs');
	const seconds = forSeconds ?? (quick ? 3 : 30);
	const pool = forProofs ?? (quick ? 400 : 12_000);
	const app = await startApp({ WORKERS: 'none', RATE_LIMIT_INGEST: 'off', DATABASE_POOL_SIZE: String(POOL) }, { name: 'ingest', appRoot });
	const work = mkdtempSync(join(tmpdir(), 'wipecert-bench-proofs-'));
	try {
		const { token, error } = await enrolmentToken(support, app.origin);
		if (!token) return skipAll(`no enrolment token: ${error}`);
		log(`generating ${pool} proofs with agent-sim (not timed)`);
		const sim = await run([join(appRoot, 'build/agent-sim.js'), '--url', app.origin, '--enrol-token', token, '--count', String(pool), '--out', work]);
		if (sim.code !== 0) return skipAll(`agent-sim could not enrol or build proofs (exit ${sim.code}): ${sim.stderr.trim().split('\n').at(-1) ?? ''}`);
		const agent = JSON.parse(readFileSync(join(work, 'agent.json'), 'utf8'));
		const privateKey = createPrivateKey(agent.privateKeyPem);
		const manifest = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8'));
		const proofs = manifest.filter((m) => m.kind === 'good').map((m) => readFileSync(join(work, m.file)));
		if (!proofs.length) return skipAll('agent-sim wrote no proofs');

		// warm-up: JIT, connection pool, first object directories
		for (const body of proofs.slice(0, 5)) {
			const url = `${app.origin}/ingest/v1/proofs`;
			const headers = support.signRequest({ method: 'POST', url, body, keyId: agent.agentId, privateKey });
			const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/pkcs7-mime', ...headers } });
			if (r.status !== 202) {
				await new Promise((res) => setTimeout(res, 1000)); // let the app's error log line arrive
				throw new Error(`a signed proof was answered ${r.status}: ${await r.text()}\n${app.output().slice(-3000)}`);
			}
		}

		let next = 5;
		const target = `${app.origin}/ingest/v1/proofs`;
		const signed = () => {
			const body = proofs[next++ % proofs.length];
			return { body, headers: { 'content-type': 'application/pkcs7-mime', ...support.signRequest({ method: 'POST', url: target, body, keyId: agent.agentId, privateKey }) } };
		};
		const perRequest = (a, b, n) => (a === null || b === null || !n ? null : Math.round(((b - a) / n) * 100) / 100);

		const openRate = forRate ?? (quick ? 50 : OPEN_RATE);
		log(`open loop: POST /ingest/v1/proofs at ${openRate}/s for ${seconds} s (latency from each request's scheduled moment)`);
		const openLoad0 = load1();
		const openCpu0 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir), generator: process.cpuUsage() };
		const open = await openLoop({ origin: app.origin, rate: openRate, seconds, request: () => ({ method: 'POST', path: '/ingest/v1/proofs', ...signed() }) });
		const openCpu1 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir), generator: process.cpuUsage(openCpu0.generator) };
		const openDetails = {
			...open,
			loadAverage1mBefore: openLoad0,
			loadAverage1mAfter: load1(),
			appCpuMsPerRequest: perRequest(openCpu0.app, openCpu1.app, open.ok),
			dbCpuMsPerRequest: perRequest(openCpu0.db, openCpu1.db, open.ok),
			generatorCpuMsPerRequest: open.sent ? Math.round(((openCpu1.generator.user + openCpu1.generator.system) / 1000 / open.sent) * 100) / 100 : null
		};
		log(`open loop: p50 ${open.p50} ms, p99 ${open.p99} ms, ${open.ok}/${open.sent} accepted, generator ${open.lateMs} ms late at worst, load ${openLoad0}`);

		log(`loading POST /ingest/v1/proofs: ${CONNECTIONS} connections for ${seconds} s`);
		const closedStart = next;
		const monitor = postgres(embeddedDatabaseUrl(app.dataDir), { max: 1, onnotice: () => {} });
		const stopSampling = sampleWaits(monitor);
		const closedLoad0 = load1();
		const cpu0 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const load = await autocannon({
			url: app.origin,
			connections: CONNECTIONS,
			duration: seconds,
			requests: [
				{
					method: 'POST',
					path: '/ingest/v1/proofs',
					setupRequest: (req) => ({ ...req, ...signed() })
				}
			]
		});
		const cpu1 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const waits = await stopSampling();
		await monitor.end({ timeout: 5 });
		const accepted = load['2xx'];
		const rps = accepted / seconds;
		const sent = next - 5;
		const closedLoad1 = load1();

		log(`baseline: raw INSERT loop of the same rows, ${CONNECTIONS} loops over ${POOL} connections for ${seconds} s`);
		const db0 = postgresCpuMs(app.dataDir);
		const baseline = await insertLoop(embeddedDatabaseUrl(app.dataDir), seconds);
		const db1 = postgresCpuMs(app.dataDir);
		const details = {
			connections: CONNECTIONS,
			seconds,
			requests: load.requests.total,
			closedLoopRequestsSigned: next - closedStart,
			loadAverage1mBefore: closedLoad0,
			loadAverage1mAfter: closedLoad1,
			accepted,
			non2xx: load.non2xx,
			errors: load.errors,
			timeouts: load.timeouts,
			distinctProofs: proofs.length,
			repeatedProofs: Math.max(0, sent - proofs.length),
			baselineInserts: baseline.count,
			// CPU per accepted request (ms; comparable across runs on a noisy machine, unlike req/s)
			appCpuMsPerRequest: perRequest(cpu0.app, cpu1.app, accepted),
			dbCpuMsPerRequest: perRequest(cpu0.db, cpu1.db, accepted),
			dbCpuMsPerBaselineInsert: perRequest(db0, db1, baseline.count),
			// mean active backends per wait event during the load (pg_stat_activity samples)
			waits
		};
		return [
			result(names.rps, 'req/s', rps, baseline.rate, details),
			result(names.p50, 'ms', load.latency.p50, baseline.p50),
			result(names.p99, 'ms', load.latency.p99, baseline.p99),
			// no raw baseline for a fixed rate: the figures stand against the target (p99 < 50 ms at 200/s)
			result(names.openP50, 'ms', open.p50, null, openDetails),
			result(names.openP99, 'ms', open.p99, null, { offeredRate: open.offeredRate, achievedRate: open.achievedRate, lateMs: open.lateMs, loadAverage1mBefore: openLoad0 })
		];
	} finally {
		rmSync(work, { recursive: true, force: true });
		await app.stop();
	}
}

/** The baseline: copies of a proof row the load inserted, one INSERT each, as fast as the pool allows. */
async function insertLoop(url, seconds) {
	const sql = postgres(url, { max: POOL, onnotice: () => {} });
	try {
		const [row] = await sql`select tenant_id, agent_id, source, submitter_kind, submitter_id, filename, size_bytes, object_key from proofs where source = 'ingest' limit 1`;
		if (!row) throw new Error('the load inserted no proof row to copy');
		const latencies = [];
		const end = performance.now() + seconds * 1000;
		let count = 0;
		await Promise.all(
			Array.from({ length: CONNECTIONS }, async () => {
				while (performance.now() < end) {
					const id = randomBytes(16);
					const t = performance.now();
					await sql`insert into proofs (public_id, tenant_id, agent_id, source, submitter_kind, submitter_id, filename, size_bytes, content_sha256, object_key, status)
						values (${'bench-' + id.toString('base64url')}, ${row.tenant_id}, ${row.agent_id}, ${row.source}, ${row.submitter_kind}, ${row.submitter_id},
							${row.filename}, ${row.size_bytes}, ${createHash('sha256').update(id).digest('hex')}, ${row.object_key + '.bench.' + id.toString('hex')}, 'RECEIVED')`;
					latencies.push(performance.now() - t);
					count++;
				}
			})
		);
		return { rate: count / seconds, count, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
	} finally {
		await sql.end({ timeout: 5 });
	}
}
