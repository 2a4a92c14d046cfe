/**
 * Verify: load on GET /api/v1/public/certificates/{publicId} with
 * 1,000,000 issued certificates in the database (quick: 10,000), a random
 * certificate per request. Seeding is SQL (not timed): one certified proof and
 * one valid certificate per row, the record a realistic certificate record
 * with its own ids, and a log holding a leaf per certificate (seeded as in the
 * log benchmark, checkpoint signed), so every answer carries a real inclusion
 * proof, as in production.
 *
 * Measured, in this order, in the same run and on the same database:
 * 1. maximum rate, closed loop (autocannon, 50 connections for a fixed time)
 *    against the app, then against a bare `node:http` server answering the
 *    same public JSON from the same domain function and prepared statement
 *    (bench/bare-verify-server.mjs, its own process, same pool size): the
 *    ratio is what the web framework and request plumbing cost;
 * 2. a raw SELECT of a certificate by public id through postgres.js, 50 loops
 *    over a pool of 10 (the database alone);
 * 3. open loop at a fixed rate of half the app's maximum (bench/open-loop.mjs),
 *    against the app and then the bare server at that same rate: latency with
 *    queueing counted, p50 and p99.
 * The load generator shares the machine's cores with the servers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { seed as seedLog } from './log.mjs';
import { openLoop } from './open-loop.mjs';
import { cpuMs, embeddedDatabaseUrl, percentile, postgresCpuMs, result, root, round, sampleWaits, startApp } from './lib.mjs';

const CONNECTIONS = 50;
const POOL = 10;
/** certificates in the hot set */
const HOT = 100;

/** public id of seeded certificate g: `wc_` + 26 characters of the base32 alphabet, as newPublicId makes them */
const publicIdSql = (prefix, g) => `'${prefix}' || substr(translate(md5('${prefix}' || ${g}) || md5('x' || ${g}), '0189', 'wxyz'), 1, 26)`;

export async function verifyBenchmark({ quick, support, log, appRoot = root }) {
	const count = quick ? 10_000 : 1_000_000;
	const seconds = quick ? 3 : 30;
	const app = await startApp({ WORKERS: 'none', RATE_LIMIT_VERIFY: 'off', DATABASE_POOL_SIZE: String(POOL) }, { name: 'verify', appRoot });
	const keys = mkdtempSync(join(tmpdir(), 'wipecert-bench-keys-'));
	const url = embeddedDatabaseUrl(app.dataDir);
	const sql = postgres(url, { max: POOL, onnotice: () => {} });
	const database = support.openDatabase(url, 2);
	let signer;
	let bare;
	// everything after startApp is inside the try: a failure (e.g. the keyring refusing to open) must still stop the app
	try {
		signer = await support.createKeyringSigner(keys, { keys: 1, batchSize: 10, noteKeyName: 'bench.wipecert.test/log' });
		const t = performance.now();
		const [tenant] = await sql`select id from tenants where slug = 'acme'`;
		const record = support.sampleRecord('wc_placeholder');
		// proofs, then certificates referencing them, in chunks (one transaction each keeps WAL and memory bounded)
		const CHUNK = 100_000;
		for (let from = 0; from < count; from += CHUNK) {
			const to = Math.min(count, from + CHUNK) - 1;
			await sql.unsafe(`insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key, status, completed_at)
				select ${publicIdSql('prf_', 'g')}, $1, 'api', 'service', 'bench', 2048, encode(sha256(convert_to('bench-proof-' || g, 'UTF8')), 'hex'),
					'bench/' || g, 'CERTIFIED_NO_ANCHOR', now()
				from generate_series(${from}, ${to}) g`, [tenant.id]);
			await sql.unsafe(`insert into certificates (public_id, tenant_id, proof_id, status, record, record_sha256, log_index, issued_at)
				select ${publicIdSql('wc_', 'g')}, $1, p.id, 'valid',
					jsonb_set(jsonb_set($2::text::jsonb, '{certificateId}', to_jsonb(${publicIdSql('wc_', 'g')})), '{proof,id}', to_jsonb(p.public_id)),
					encode(sha256(convert_to('bench-record-' || g, 'UTF8')), 'hex'), g, now()
				from generate_series(${from}, ${to}) g join proofs p on p.public_id = ${publicIdSql('prf_', 'g')}`, [tenant.id, JSON.stringify(record)]);
		}
		await seedLog(sql, { db: database.db, origin: 'bench.wipecert.test/log', signNote: (b) => signer.signNote(b) }, support, 0, count);
		// the steady state a long-running database is in: without this, autovacuum's first pass over the
		// million new rows (visibility map, hint bits) ran during the load and took a core
		await sql`vacuum (analyze)`;
		log(`verify: ${count} certificates seeded in ${Math.round((performance.now() - t) / 1000)} s`);
		const ids = (await sql.unsafe(`select ${publicIdSql('wc_', 'g')} as id from generate_series(0, ${count - 1}) g`)).map((r) => r.id);

		// warm-up and a check that the route answers what was seeded
		for (const id of ids.slice(0, 5)) {
			const r = await fetch(`${app.origin}/api/v1/public/certificates/${id}`);
			const body = await r.json();
			if (r.status !== 200 || body.publicId !== id || !body.log?.inclusion?.length) throw new Error(`GET /api/v1/public/certificates/${id} answered ${r.status}: ${JSON.stringify(body).slice(0, 300)}\napp output:\n${app.output().slice(-3000)}`);
		}
		const per = (a, b, n = ok) => (a === null || b === null || !n ? null : Math.round(((b - a) / n) * 100) / 100);
		const pick = () => ids[Math.floor(Math.random() * ids.length)];
		const path = () => `/api/v1/public/certificates/${pick()}`;
		bare = await startBareServer({ url, origin: app.origin });
		// the bare server must answer exactly what the app answers, headers included
		for (const id of ids.slice(0, 5)) {
			const [a, b] = await Promise.all([app.origin, bare.origin].map((o) => fetch(`${o}/api/v1/public/certificates/${id}`)));
			const [ta, tb] = await Promise.all([a.text(), b.text()]);
			if (ta !== tb || a.headers.get('etag') !== b.headers.get('etag') || a.headers.get('cache-control') !== b.headers.get('cache-control')) {
				throw new Error(`the bare server's answer for ${id} differs from the app's:\n${ta.slice(0, 300)}\n${tb.slice(0, 300)}`);
			}
		}
		log(`loading GET /api/v1/public/certificates/{publicId}: ${CONNECTIONS} connections for ${seconds} s, app`);
		const stopSampling = sampleWaits(sql);
		const cpu0 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const load = await autocannon({ url: app.origin, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }] });
		const cpu1 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const waits = await stopSampling();
		const ok = load['2xx'];

		log(`the same load on the bare node:http server`);
		const bareCpu0 = { app: cpuMs(bare.pid), db: postgresCpuMs(app.dataDir) };
		const bareLoad = await autocannon({ url: bare.origin, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }] });
		const bareCpu1 = { app: cpuMs(bare.pid), db: postgresCpuMs(app.dataDir) };
		const bareOk = bareLoad['2xx'];

		log(`baseline: raw SELECT by public id, ${CONNECTIONS} loops over ${POOL} connections for ${seconds} s`);
		const latencies = [];
		let selects = 0;
		const end = performance.now() + seconds * 1000;
		await Promise.all(
			Array.from({ length: CONNECTIONS }, async () => {
				while (performance.now() < end) {
					const t0 = performance.now();
					const [row] = await sql`select * from certificates where public_id = ${pick()}`;
					if (!row) throw new Error('a seeded certificate is missing');
					latencies.push(performance.now() - t0);
					selects++;
				}
			})
		);
		// the hot case: the same few certificates asked again and again (QR codes being scanned, monitors polling)
		const hot = ids.slice(0, HOT);
		const hotPath = () => `/api/v1/public/certificates/${hot[Math.floor(Math.random() * hot.length)]}`;
		const closed = async (target) => {
			const c0 = { server: cpuMs(target.pid), db: postgresCpuMs(app.dataDir) };
			const r = await autocannon({ url: target.origin, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: hotPath() }) }] });
			const c1 = { server: cpuMs(target.pid), db: postgresCpuMs(app.dataDir) };
			return { rate: r['2xx'] / seconds, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, p50: r.latency.p50, p99: r.latency.p99, serverCpuMsPerRequest: per(c0.server, c1.server, r['2xx']), dbCpuMsPerRequest: per(c0.db, c1.db, r['2xx']) };
		};
		log(`hot set of ${HOT} certificates: ${CONNECTIONS} connections for ${seconds} s, app, then the bare server`);
		const hotApp = await closed(app);
		const hotBare = await closed(bare);
		const rate = Math.max(1, Math.round(ok / seconds / 2));
		log(`open loop at ${rate} req/s (half the app's maximum) for ${seconds} s: app, then the bare server`);
		const openApp = await openLoop({ origin: app.origin, rate, seconds, path });
		const openBare = await openLoop({ origin: bare.origin, rate, seconds, path });
		const details = {
			certificates: count,
			connections: CONNECTIONS,
			seconds,
			requests: load.requests.total,
			ok,
			non2xx: load.non2xx,
			errors: load.errors,
			timeouts: load.timeouts,
			baselineSelects: selects,
			appCpuMsPerRequest: per(cpu0.app, cpu1.app),
			dbCpuMsPerRequest: per(cpu0.db, cpu1.db),
			waits,
			loadAverage: loadavg().map((l) => round(l, 2))
		};
		const bareDetails = {
			server: 'bare node:http, same domain function (publicCertificateAnswer), same pool size, own process (bench/bare-verify-server.mjs)',
			requests: bareLoad.requests.total,
			ok: bareOk,
			non2xx: bareLoad.non2xx,
			errors: bareLoad.errors,
			bareCpuMsPerRequest: per(bareCpu0.app, bareCpu1.app, bareOk),
			dbCpuMsPerRequest: per(bareCpu0.db, bareCpu1.db, bareOk),
			appCpuMsPerRequest: details.appCpuMsPerRequest,
			// CPU per request is steadier than the rates on a shared machine: bare / app (1 = no framework cost)
			cpuRatio: details.appCpuMsPerRequest && per(bareCpu0.app, bareCpu1.app, bareOk) !== null ? round(per(bareCpu0.app, bareCpu1.app, bareOk) / details.appCpuMsPerRequest, 3) : null,
			bareLatencyP50: bareLoad.latency.p50,
			bareLatencyP99: bareLoad.latency.p99
		};
		const open = (o) => ({ offeredRate: o.offeredRate, achievedRate: o.achievedRate, sent: o.sent, ok: o.ok, statuses: o.statuses, errors: o.errors, p50: round(o.p50), p99: round(o.p99), max: round(o.max), generatorLateMs: o.lateMs });
		return [
			result('verify.requests_per_second', 'req/s', ok / seconds, selects / seconds, details),
			result('verify.latency_p50', 'ms', load.latency.p50, percentile(latencies, 50)),
			result('verify.latency_p99', 'ms', load.latency.p99, percentile(latencies, 99)),
			// the goal's ratio: the app against a bare node:http server doing the same work
			result('verify.vs_bare_http', 'req/s', ok / seconds, bareOk / seconds, bareDetails),
			// baseline: the bare server's p99 at the same offered rate
			result('verify.open_loop_p50', 'ms', openApp.p50, openBare.p50, { rate, app: open(openApp), bare: open(openBare) }),
			result('verify.hot_requests_per_second', 'req/s', hotApp.rate, hotBare.rate, { certificates: HOT, connections: CONNECTIONS, seconds, app: hotApp, bare: hotBare }),
			result('verify.open_loop_p99', 'ms', openApp.p99, openBare.p99, { rate, meaning: 'open loop at half the app\'s measured maximum rate; latency from each request\'s scheduled moment' })
		];
	} finally {
		await bare?.stop();
		await signer?.close?.();
		await database.close(2);
		await sql.end({ timeout: 5 });
		rmSync(keys, { recursive: true, force: true });
		await app.stop();
	}
}

/** bench/bare-verify-server.mjs as its own process on the benchmark's database; resolved once it listens. */
async function startBareServer({ url, origin }) {
	const child = spawn(process.execPath, [join(root, 'bench/bare-verify-server.mjs')], {
		env: { PATH: process.env.PATH, SUPPORT: join(root, 'bench/out/support.js'), DATABASE_URL: url, POOL: String(POOL), ORIGIN: origin, WIPECERT_ENTRY: 'bare-verify' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	const exited = new Promise((r) => child.once('exit', r));
	const port = await new Promise((resolve, reject) => {
		const take = (d) => {
			output = (output + d).slice(-5000);
			const m = /listening (\d+)/.exec(output);
			if (m) resolve(Number(m[1]));
		};
		child.stdout.on('data', take);
		child.stderr.on('data', take);
		exited.then((code) => reject(new Error(`the bare verify server exited with ${code}:\n${output}`)));
	});
	return {
		origin: `http://127.0.0.1:${port}`,
		pid: child.pid,
		stop: async () => {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = new Promise((r) => setTimeout(r, 10_000).unref());
				if ((await Promise.race([exited.then(() => 'exited'), timer])) !== 'exited') child.kill('SIGKILL');
			}
		}
	};
}
