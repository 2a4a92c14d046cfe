import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueue, type Queue } from '../../src/lib/server/queue';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { startStack, type Proc, type Stack } from '../helpers/pipeline-stack';
import { seedCertifiedMonth } from '../helpers/report-fixtures';

/**
 * The reports worker (`node build/worker.js reports`, the built app) killed
 * with SIGKILL in the middle of a report: the next worker goes on with it and
 * publishes it, there is still one report for the month, its files hash to
 * what the row says, and running the month again creates nothing.
 */
const MONTH = '2025-05';
const COUNT = 60_000;
let stack: Stack;
let queue: Queue;
let acme: string;

type Row = { id: string; status: string; version: number; csv_sha256: string | null; json_sha256: string | null; pdf_sha256: string | null; csv_key: string | null; json_key: string | null; pdf_key: string | null };
const rowsOf = async (scope: string) => stack.database.sql<Row[]>`select id, status, version, csv_sha256, json_sha256, pdf_sha256, csv_key, json_key, pdf_key from billing_reports where scope = ${scope} and month = ${MONTH}`;

async function until<T>(what: string, read: () => Promise<T | null>, seconds: number, during?: () => string): Promise<T> {
	const deadline = Date.now() + seconds * 1000;
	for (;;) {
		const v = await read();
		if (v !== null) return v;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${during ? `\n${during()}` : ''}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
	stack = await startStack();
	[{ id: acme }] = await stack.database.sql<{ id: string }[]>`select id from tenants where slug = 'acme'`;
	// the dev seed created the tenant just now; it has been a customer since before the month
	await stack.database.sql`update tenants set created_at = '2025-01-01T00:00:00Z' where id = ${acme}`;
	await seedCertifiedMonth(stack.database.sql, { tenantId: acme, tenantSlug: 'acme', count: COUNT, from: new Date('2025-05-01T00:00:00Z'), to: new Date('2025-06-01T00:00:00Z') });
	queue = await startQueue({ url: stack.env.DATABASE_URL, log: createLogger('silent'), supervise: false, max: 1, policy: { retryLimit: 5, retryDelay: 1, retryBackoff: false, expireInSeconds: 900 } });
}, 300_000);
afterAll(async () => {
	await queue?.stop({ graceful: false, timeoutMs: 1000 });
	await stack?.stop();
});

describe('reports worker killed with SIGKILL mid-report', () => {
	let first: Proc;

	it('is killed while the month’s report is being written', async () => {
		first = await stack.worker('reports');
		await queue.boss.send('reports.monthly', { month: MONTH });
		// the CSV is stored and recorded, the JSON (60,000 certificates) is being written
		const row = await until('the CSV step', async () => (await rowsOf(acme)).find((r) => r.csv_sha256 && !r.json_sha256) ?? null, 180, first.output);
		await first.kill();
		const [after] = await rowsOf(acme);
		expect(after).toMatchObject({ id: row.id, status: 'generating', version: 1 });
		expect(after.pdf_sha256).toBeNull();
	}, 240_000);

	it('the next worker finishes it: one report, published, its files as recorded', async () => {
		const second = await stack.worker('reports');
		const rows = await until('the report to be published', async () => {
			const r = await rowsOf(acme);
			return r.length === 1 && r[0].status === 'published' ? r : null;
		}, 180, second.output);
		const [report] = rows;
		expect(report.version).toBe(1);
		const objects = join(stack.dataDir, 'objects');
		for (const k of ['csv', 'json', 'pdf'] as const) expect(sha(join(objects, report[`${k}_key`]!))).toBe(report[`${k}_sha256`]);
		const csv = readFileSync(join(objects, report.csv_key!), 'utf8');
		expect(csv.trimEnd().split('\r\n')).toHaveLength(COUNT + 1);
		const doc = JSON.parse(readFileSync(join(objects, report.json_key!), 'utf8')) as { certificates: unknown[]; totals: { certificates: { issued: number }; ledger: { consumptions: number } } };
		expect(doc.certificates).toHaveLength(COUNT);
		expect(doc.totals.certificates.issued).toBe(COUNT);
		expect(doc.totals.ledger.consumptions).toBe(COUNT);
		// the platform report of the month was published too, once
		const platform = await until('the platform report', async () => {
			const r = await rowsOf('platform');
			return r.length === 1 && r[0].status === 'published' ? r : null;
		}, 120, second.output);
		expect(platform).toHaveLength(1);
	}, 240_000);

	it('the month run again creates nothing', async () => {
		const id = await queue.boss.send('reports.monthly', { month: MONTH });
		await until('the second pass', async () => {
			const [job] = await stack.database.sql<{ state: string }[]>`select state from pgboss.job where id = ${id}`;
			return job?.state === 'completed' ? job : null;
		}, 60);
		expect(await rowsOf(acme)).toHaveLength(1);
		expect(await rowsOf('platform')).toHaveLength(1);
	}, 120_000);
});
