/**
 * Reports: the time and peak resident memory of the `reports` worker
 * (`node build/worker.js reports`, a process of its own) building one month
 * of a tenant with 100,000 certificates (quick: 5,000) — the figures, the
 * CSV, the JSON and the signed PDF statement — plus the platform report of
 * the same month. The month is seeded with SQL (tests/helpers/report-fixtures.ts).
 *
 * Measured from the job's send to both reports `published`; peak memory is
 * the worker's VmHWM (the kernel's high-water mark of its RSS). Baseline for
 * memory, same run: the same worker's RSS once started, idle. There is no
 * baseline for the time (nothing else builds these files).
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { embeddedDatabaseUrl, result, startApp, startWorker } from './lib.mjs';

const MONTH = '2025-03';
const kb = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

export async function reportsBenchmark({ quick, support, log, appRoot }) {
	const count = quick ? 5_000 : 100_000;
	const label = quick ? '5k' : '100k';
	const app = await startApp({ WORKERS: 'none' }, { name: 'reports', appRoot });
	let sql;
	let worker;
	let queue;
	try {
		sql = postgres(embeddedDatabaseUrl(app.dataDir), { max: 2, onnotice: () => {} });
		const [{ id: acme }] = await sql`select id from tenants where slug = 'acme'`;
		await sql`update tenants set created_at = '2025-01-01T00:00:00Z' where id = ${acme}`;
		log(`seeding ${count} certificates of ${MONTH}`);
		await support.seedCertifiedMonth(sql, { tenantId: acme, tenantSlug: 'acme', count, from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') });
		await sql`analyze certificates`;
		await sql`analyze licence_ledger`;
		worker = await startWorker('reports', { ORIGIN: app.origin }, { dataDir: app.dataDir, appRoot });
		await new Promise((r) => setTimeout(r, 2000));
		const idleMb = kb(worker.pid, 'VmRSS') / 1024;
		queue = await support.startQueue({ url: embeddedDatabaseUrl(app.dataDir), log: support.createLogger('silent'), supervise: false, max: 1, policy: { retryLimit: 2, retryDelay: 1, retryBackoff: false, expireInSeconds: 900 } });
		const started = performance.now();
		await queue.boss.send('reports.monthly', { month: MONTH });
		const deadline = Date.now() + 1_800_000;
		let rows = [];
		for (;;) {
			rows = await sql`select scope, status, csv_bytes, json_bytes, pdf_bytes from billing_reports where month = ${MONTH}`;
			if (rows.length >= 2 && rows.every((r) => r.status === 'published')) break;
			if (Date.now() > deadline) throw new Error(`the month was not published in 30 minutes:\n${worker.output()}`);
			await new Promise((r) => setTimeout(r, 100));
		}
		const seconds = (performance.now() - started) / 1000;
		const peakMb = kb(worker.pid, 'VmHWM') / 1024;
		const tenant = rows.find((r) => r.scope === acme);
		const files = { csvMb: Number(tenant.csv_bytes) / 2 ** 20, jsonMb: Number(tenant.json_bytes) / 2 ** 20, pdfKb: Number(tenant.pdf_bytes) / 1024 };
		log(`${label}: ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB (idle ${idleMb.toFixed(0)} MB)`);
		const note = `${count} certificates of one tenant + the platform report; CSV ${files.csvMb.toFixed(1)} MB, JSON ${files.jsonMb.toFixed(1)} MB, PDF ${files.pdfKb.toFixed(0)} kB`;
		return [
			result(`reports.month_${label}.seconds`, 's', seconds, null, { note }),
			result(`reports.month_${label}.peak_rss`, 'MB', peakMb, idleMb, { note: `${note}; baseline: the worker idle` })
		];
	} finally {
		await queue?.stop({ graceful: false, timeoutMs: 1000 });
		await sql?.end();
		await worker?.stop();
		await app.stop();
	}
}
