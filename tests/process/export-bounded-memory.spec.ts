import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInToApp, type CookieJar } from '../helpers/oidc-browser';
import { startStack, type Stack } from '../helpers/pipeline-stack';
import { seedCertifiedMonth } from '../helpers/report-fixtures';

/**
 * Exports of 100,000 rows from the built app, streamed to a client that
 * counts them: the certificate export (NDJSON, CSV with from/to) and the
 * platform billing export. The app's resident memory (VmRSS, sampled every
 * 20 ms while it streams) stays within RSS_BOUND of what it was before:
 * loading the rows instead would take several hundred MB (100,000
 * certificates are ~70 MB as NDJSON alone, more as objects). A first, smaller
 * export warms the process up: V8 sizes its young generation from the host's
 * memory as allocation starts (up to ~130 MB resident, the same for 1,000
 * rows as for a million), which is not what this bound is about. Its old
 * space is capped (HEAP_CAP_MB) so that V8 collects rather than grows into
 * free memory: an export that held its rows would run out of heap there.
 */
const COUNT = 100_000;
const RSS_BOUND_MB = 64;
/** V8's old space of the app: room for the app, not for 100,000 rows at once (their NDJSON alone is ~70 MB, as objects several times that) */
const HEAP_CAP_MB = 160;
let stack: Stack;
let acmeAdmin: CookieJar;
let platformAdmin: CookieJar;

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Streams a download, counting lines, while sampling the app's RSS; the peak growth over the RSS before it started. */
async function download(path: string, jar: CookieJar): Promise<{ status: number; lines: number; first: string; growthMb: number; contentType: string | null }> {
	const pid = stack.app.child.pid!;
	const before = rssMb(pid);
	let peak = before;
	const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
	try {
		const r = await fetch(`${stack.origin}${path}`, { headers: { cookie: jar.header() } });
		let lines = 0;
		let first = '';
		const decoder = new TextDecoder();
		const reader = r.body!.getReader();
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			const text = decoder.decode(value, { stream: true });
			if (first.length < 4000) first += text.slice(0, 4000);
			for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
		}
		peak = Math.max(peak, rssMb(pid));
		return { status: r.status, lines, first, growthMb: peak - before, contentType: r.headers.get('content-type') };
	} finally {
		clearInterval(sampler);
	}
}

beforeAll(async () => {
	stack = await startStack({ env: { NODE_OPTIONS: `--max-semi-space-size=16 --max-old-space-size=${HEAP_CAP_MB}` } });
	const [{ id: acme }] = await stack.database.sql<{ id: string }[]>`select id from tenants where slug = 'acme'`;
	await seedCertifiedMonth(stack.database.sql, { tenantId: acme, tenantSlug: 'acme', count: COUNT, from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') });
	await stack.database.sql`analyze certificates`;
	await stack.database.sql`analyze licence_ledger`;
	[acmeAdmin, platformAdmin] = await Promise.all([signInToApp(stack.origin, 'admin@acme.test'), signInToApp(stack.origin, 'admin@wipecert.test')]);
	const warm = await download('/api/v1/certificates/export?format=json&to=2025-03-08T00:00:00Z', acmeAdmin);
	expect(warm.status).toBe(200);
}, 600_000);
afterAll(async () => stack?.stop());

describe(`exports of ${COUNT.toLocaleString('en')} rows`, () => {
	it('the certificate export as NDJSON: every certificate, one per line, in bounded memory', async () => {
		const r = await download('/api/v1/certificates/export?format=ndjson', acmeAdmin);
		expect([r.status, r.contentType]).toEqual([200, 'application/x-ndjson; charset=utf-8']);
		expect(r.lines).toBe(COUNT);
		expect(JSON.parse(r.first.split('\n')[0])).toMatchObject({ publicId: expect.stringMatching(/^wc_/), status: 'valid', device: expect.any(Object) });
		console.log(`certificates ndjson: RSS +${r.growthMb.toFixed(1)} MB`);
		expect(r.growthMb).toBeLessThan(RSS_BOUND_MB);
	}, 300_000);

	it('the certificate export as CSV for a from/to window: exactly the certificates issued in it', async () => {
		// the seed issues evenly over March: the first half of the month holds the first half of them, give or take one
		const r = await download('/api/v1/certificates/export?format=csv&from=2025-03-01T00:00:00Z&to=2025-03-16T12:00:00Z', acmeAdmin);
		expect(r.status).toBe(200);
		expect(r.first.split('\r\n')[0]).toBe('publicId,proofId,status,issuedAt,revokedAt,revocationReason,deviceType,manufacturer,model,serial,capacityBytes,assetTag,method,result,logIndex,attestation,attestedBy,verifyUrl');
		expect(Math.abs(r.lines - 1 - COUNT / 2)).toBeLessThanOrEqual(1);
		expect(r.growthMb).toBeLessThan(RSS_BOUND_MB);
	}, 300_000);

	it('the platform billing export: every ledger row of the month, with its tenant, in bounded memory', async () => {
		const r = await download('/api/v1/admin/billing/export?format=ndjson&from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z', platformAdmin);
		expect(r.status).toBe(200);
		expect(r.lines).toBe(COUNT);
		expect(JSON.parse(r.first.split('\n')[0])).toMatchObject({ tenantSlug: 'acme', kind: 'consumption', amount: -1 });
		console.log(`billing ndjson: RSS +${r.growthMb.toFixed(1)} MB`);
		expect(r.growthMb).toBeLessThan(RSS_BOUND_MB);
	}, 300_000);

	it('a tenant cannot use the platform export, and a reversed window is refused in the envelope', async () => {
		const forbidden = await fetch(`${stack.origin}/api/v1/admin/billing/export`, { headers: { cookie: acmeAdmin.header() } });
		expect(forbidden.status).toBe(403);
		const reversed = await fetch(`${stack.origin}/api/v1/certificates/export?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z`, { headers: { cookie: acmeAdmin.header() } });
		expect(reversed.status).toBe(422);
		expect(((await reversed.json()) as { error: { code: string; details: unknown[] } }).error).toMatchObject({ code: 'validation_failed', details: [{ field: 'to' }] });
	});
});
