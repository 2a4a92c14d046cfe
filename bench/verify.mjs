/**
 * Verify: load on GET /api/v1/public/certificates/{publicId} with
 * 1,000,000 issued certificates in the database (quick: 10,000), 50
 * connections for a fixed time, a random certificate per request. Seeding is
 * SQL (not timed): one certified proof and one valid certificate per row, the
 * record a realistic certificate record with its own ids, and a log holding a
 * leaf per certificate (seeded as in the log benchmark, checkpoint signed), so
 * every answer carries a real inclusion proof, as in production.
 *
 * Baseline, same run and same database: a raw SELECT of a certificate by public
 * id through postgres.js, 50 loops over a pool of 10, for the same time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { seed as seedLog } from './log.mjs';
import { cpuMs, embeddedDatabaseUrl, percentile, postgresCpuMs, result, root, sampleWaits, startApp } from './lib.mjs';

const CONNECTIONS = 50;
const POOL = 10;

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
	const signer = await support.createKeyringSigner(keys, { keys: 1, batchSize: 10, noteKeyName: 'bench.wipecert.test/log' });
	try {
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
		const pick = () => ids[Math.floor(Math.random() * ids.length)];
		log(`loading GET /api/v1/public/certificates/{publicId}: ${CONNECTIONS} connections for ${seconds} s`);
		const stopSampling = sampleWaits(sql);
		const cpu0 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const load = await autocannon({
			url: app.origin,
			connections: CONNECTIONS,
			duration: seconds,
			requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/v1/public/certificates/${pick()}` }) }]
		});
		const cpu1 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const waits = await stopSampling();
		const ok = load['2xx'];

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
		const per = (a, b) => (a === null || b === null || !ok ? null : Math.round(((b - a) / ok) * 100) / 100);
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
			waits
		};
		return [
			result('verify.requests_per_second', 'req/s', ok / seconds, selects / seconds, details),
			result('verify.latency_p50', 'ms', load.latency.p50, percentile(latencies, 50)),
			result('verify.latency_p99', 'ms', load.latency.p99, percentile(latencies, 99))
		];
	} finally {
		await signer.close?.();
		await database.close(2);
		await sql.end({ timeout: 5 });
		rmSync(keys, { recursive: true, force: true });
		await app.stop();
	}
}
