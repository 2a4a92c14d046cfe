import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { zBillingReportDocument } from '#lib/api/zod.gen';
import type { Container } from '#lib/server/container';
import { sampleReport } from '#lib/server/proofs/format/sample';
import { newPublicId, recordSha256 } from '#lib/server/records';
import { createTenant, updateTenantSettings } from '#lib/server/tenancy';
import { checkSignature, type VerificationKeys } from '#lib/verifier/cms';
import { latin1 } from '#lib/verifier/pdf';
import { CERTIFICATE_COLUMNS, TENANT_COLUMNS, generateReport, getReport, listReports, reportRow, runReports, scheduleMonth, type BillingReport } from './index';

/**
 * Monthly reports on the real container (PostgreSQL, pg-boss, object storage,
 * keyring signer). A month is laid down at chosen instants for two tenants in
 * time zones on either side of UTC — rows on both sides of each tenant's
 * local midnight, March 2025 with both daylight-saving changes — and the
 * report's figures are compared with a computation of the test's own: the
 * ledger read back and summed in JavaScript, months and days assigned with
 * the runtime's Intl time zones (not PostgreSQL's).
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let app: Container;
const ctx = { actor: { kind: 'user', id: 'admin-1', role: 'platform_admin' }, correlationId: 'reports-test', sourceIp: '127.0.0.1' };
const MONTH = '2025-03';
/** 2025-04-01 02:00 UTC: the schedule's run after March (New York's March is not over yet) */
const RUN_AT = new Date('2025-04-01T02:00:00Z');
const LATER = new Date('2025-04-01T06:00:00Z');

type Tenant = { id: string; slug: string; timeZone: string };
let north: Tenant;
let west: Tenant;

/** What the test laid down, to compute the expectation from. */
type Cert = { tenantId: string; publicId: string; issuedAt: Date; revokedAt: Date | null; type: string; method: string; result: string; serial: string; attestation: 'agent' | 'operator' };
const certs: Cert[] = [];
const rejections: { tenantId: string; proofId: string; code: string; at: Date }[] = [];
const anchorings: { tenantId: string; at: Date }[] = [];

async function proofRow(tenantId: string, at: Date): Promise<{ id: string; publicId: string }> {
	const publicId = newPublicId('proof');
	const [row] = await app.database.sql<{ id: string }[]>`
		insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key, status, received_at, updated_at)
		values (${publicId}, ${tenantId}, 'api', 'user', 'test', 1000, ${randomBytes(32).toString('hex')}, ${`proofs/test/${publicId}.der`}, 'CERTIFIED_NO_ANCHOR', ${at.toISOString()}, ${at.toISOString()})
		returning id`;
	return { id: row.id, publicId };
}

async function balance(tenantId: string): Promise<number> {
	const [r] = await app.database.sql<{ b: number }[]>`select coalesce((select balance_after from licence_ledger where tenant_id = ${tenantId} order by id desc limit 1), 0) as b`;
	return r.b;
}

/** A ledger row booked at `at` (the ledger takes inserts at any time; its balance follows the rows' order). */
async function book(tenantId: string, at: Date, kind: string, amount: number, proof?: { id: string; publicId: string }) {
	const after = (await balance(tenantId)) + amount;
	await app.database.sql`insert into licence_ledger (tenant_id, kind, amount, balance_after, proof_id, proof_public_id, reason, created_at)
		values (${tenantId}, ${kind}, ${amount}, ${after}, ${proof?.id ?? null}, ${proof?.publicId ?? null}, ${kind === 'consumption' ? null : 'test'}, ${at.toISOString()})`;
}

/** A certified proof: charged and issued at `at`, optionally revoked later. */
async function certify(t: Tenant, at: Date, revokedAt: Date | null = null) {
	const proof = await proofRow(t.id, at);
	await book(t.id, at, 'consumption', -1, proof);
	const report = sampleReport({ warningRatio: certs.length % 3 === 0 ? 1 : 0 });
	const publicId = newPublicId('certificate');
	const record = {
		version: 1 as const,
		certificateId: publicId,
		issuer: { tenant: t.slug, name: t.slug },
		issuedAt: at.toISOString(),
		proof: { id: proof.publicId, sha256: randomBytes(32).toString('hex'), receivedAt: at.toISOString() },
		agent: { certificateSerial: certs.length % 2 ? '0a0b' : '0c0d' },
		report,
		// every fourth one imported from an nwipe log and attested by a person
		...(certs.length % 4 === 3 ? { attestation: { kind: 'operator' as const, source: 'nwipe-log' as const, operator: { name: 'Otto Test' }, logSha256: randomBytes(32).toString('hex') } } : {})
	};
	await app.database.sql`insert into certificates (public_id, tenant_id, proof_id, status, record, record_sha256, issued_at, created_at, revoked_at, revocation_reason)
		values (${publicId}, ${t.id}, ${proof.id}, ${revokedAt ? 'revoked' : 'valid'}, ${JSON.stringify(record)}::jsonb, ${recordSha256(record)}, ${at.toISOString()}, ${at.toISOString()},
			${revokedAt?.toISOString() ?? null}, ${revokedAt ? 'test' : null})`;
	certs.push({ tenantId: t.id, publicId, issuedAt: at, revokedAt, type: report.device.type, method: report.sanitisation.method, result: report.result.status, serial: report.device.serial, attestation: 'attestation' in record ? 'operator' : 'agent' });
	return proof;
}

async function event(tenantId: string, proofId: string, to: 'REJECTED' | 'CERTIFIED', at: Date, code: string | null = null) {
	await app.database.sql`insert into proof_events (proof_id, tenant_id, from_status, to_status, code, actor, at)
		values (${proofId}, ${tenantId}, 'VALIDATING', ${to}, ${code}, 'worker:test', ${at.toISOString()})`;
}

async function reject(t: Tenant, at: Date, code: string) {
	const p = await proofRow(t.id, at);
	await event(t.id, p.id, 'REJECTED', at, code);
	rejections.push({ tenantId: t.id, proofId: p.id, code, at });
}

const utc = (s: string) => new Date(`${s}Z`);
const localMonth = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(at).slice(0, 7);
const localDay = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

/** The expectation, from the ledger read back and the facts laid down, months by the runtime's Intl. */
async function expected(tenantIds: string[], timeZone: (id: string) => string) {
	const rows = await app.database.sql<{ tenant_id: string; kind: string; amount: number; created_at: Date }[]>`select tenant_id, kind, amount, created_at from licence_ledger where tenant_id = any(${tenantIds})`;
	const ledger = { opening: 0, grants: 0, topUps: 0, consumptions: 0, refunds: 0, corrections: 0, closing: 0 };
	for (const r of rows) {
		const m = localMonth(new Date(r.created_at), timeZone(r.tenant_id));
		if (m < MONTH) ledger.opening += r.amount;
		if (m > MONTH) continue;
		ledger.closing += r.amount;
		if (m !== MONTH) continue;
		if (r.kind === 'grant') ledger.grants += r.amount;
		if (r.kind === 'top_up') ledger.topUps += r.amount;
		if (r.kind === 'consumption') ledger.consumptions -= r.amount;
		if (r.kind === 'refund') ledger.refunds += r.amount;
		if (r.kind === 'correction') ledger.corrections += r.amount;
	}
	const mine = certs.filter((c) => tenantIds.includes(c.tenantId));
	const issued = mine.filter((c) => localMonth(c.issuedAt, timeZone(c.tenantId)) === MONTH);
	const count = (key: (c: Cert) => string) => {
		const by = new Map<string, number>();
		for (const c of issued) by.set(key(c), (by.get(key(c)) ?? 0) + 1);
		return Object.fromEntries(by);
	};
	const codes = new Map<string, Set<string>>();
	for (const r of rejections.filter((x) => tenantIds.includes(x.tenantId) && localMonth(x.at, timeZone(x.tenantId)) === MONTH)) codes.set(r.code, (codes.get(r.code) ?? new Set()).add(r.proofId));
	return {
		ledger,
		issued: issued.length,
		revoked: mine.filter((c) => c.revokedAt && localMonth(c.revokedAt, timeZone(c.tenantId)) === MONTH).length,
		anchored: anchorings.filter((a) => tenantIds.includes(a.tenantId) && localMonth(a.at, timeZone(a.tenantId)) === MONTH).length,
		mediaType: count((c) => c.type),
		method: count((c) => c.method),
		result: count((c) => c.result),
		attestation: count((c) => c.attestation),
		rejections: Object.fromEntries([...codes].map(([code, ids]) => [code, ids.size])),
		issuedPerDay: issued.reduce<Record<string, number>>((acc, c) => ({ ...acc, [localDay(c.issuedAt, timeZone(c.tenantId))]: (acc[localDay(c.issuedAt, timeZone(c.tenantId))] ?? 0) + 1 }), {}),
		issuedIds: issued.map((c) => c.publicId).sort()
	};
}

const asObject = (list: { key: string; count: number }[]) => Object.fromEntries(list.map((c) => [c.key, c.count]));

async function generated(row: BillingReport) {
	const outcome = await generateReport({ db: app.database.db, sql: app.database.sql, storage: app.storage, signer: app.signer, origin: app.config.origin }, row.id);
	expect(outcome.status).toBe('published');
	return (await reportRow(app.database.db, row.id))!;
}

const bytesOf = async (key: string | null) => Buffer.from((await app.storage.getBytes(key!))!);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** RFC 4180 lines of our CSV (fields never hold line breaks here). */
function csvRows(csv: string): string[][] {
	return csv
		.trimEnd()
		.split('\r\n')
		.map((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, -1).map((f) => f.replace(/,$/, '').replace(/^"(.*)"$/, '$1').replace(/""/g, '"')));
}

let keys: VerificationKeys;
const reports = new Map<string, BillingReport>();

beforeAll(async () => {
	env = await startTestContainer();
	app = env.app;
	keys = await (await app.signer()).publicKeys();
	const make = async (slug: string, timeZone: string): Promise<Tenant> => {
		const t = await app.database.db.transaction((tx) => createTenant(tx, { slug, name: `${slug} GmbH` }, ctx));
		await app.database.sql`update tenants set created_at = '2025-01-01T00:00:00Z' where id = ${t.id}`;
		await app.database.db.transaction((tx) => updateTenantSettings(tx, t.id, { timeZone, language: slug.startsWith('north') ? 'de' : 'en' }, ctx));
		return { id: t.id, slug, timeZone };
	};
	north = await make(`north-${randomBytes(3).toString('hex')}`, 'Europe/Berlin');
	west = await make(`west-${randomBytes(3).toString('hex')}`, 'America/New_York');

	// north (Berlin, UTC+1, UTC+2 from 30 March 01:00 UTC)
	await book(north.id, utc('2025-02-10T09:00:00'), 'grant', 40);
	await certify(north, utc('2025-02-28T22:30:00')); // Berlin 28 Feb 23:30: February
	const march1 = await certify(north, utc('2025-02-28T23:30:00')); // Berlin 1 Mar 00:30: March (UTC: February)
	await certify(north, utc('2025-03-05T10:00:00'), utc('2025-03-20T08:00:00')); // revoked in March
	const early = await certify(north, utc('2025-03-09T12:00:00'), utc('2025-04-02T08:00:00')); // revoked after the month: valid at its end
	await book(north.id, utc('2025-03-10T12:00:00'), 'top_up', 25);
	await book(north.id, utc('2025-03-12T12:00:00'), 'refund', 1, early);
	await book(north.id, utc('2025-03-20T12:00:00'), 'correction', -3);
	await certify(north, utc('2025-03-30T00:30:00')); // before the DST change
	await certify(north, utc('2025-03-30T01:30:00')); // after it
	await certify(north, utc('2025-03-31T21:30:00')); // Berlin 31 Mar 23:30 (UTC+2): March
	await certify(north, utc('2025-03-31T22:30:00')); // Berlin 1 Apr 00:30: April (UTC: March)
	await reject(north, utc('2025-03-03T09:00:00'), 'licence_exhausted');
	await reject(north, utc('2025-03-04T09:00:00'), 'proof_duplicate');
	await reject(north, utc('2025-02-28T22:00:00'), 'agent_unknown'); // Berlin 28 Feb 23:00: February
	await event(north.id, march1.id, 'CERTIFIED', utc('2025-03-01T02:00:00'));
	anchorings.push({ tenantId: north.id, at: utc('2025-03-01T02:00:00') });
	// a proof rejected twice for the same reason in the month counts once
	const twice = rejections.find((r) => r.code === 'licence_exhausted')!;
	await event(north.id, twice.proofId, 'REJECTED', utc('2025-03-06T09:00:00'), 'licence_exhausted');

	// west (New York, UTC-5, UTC-4 from 9 March 07:00 UTC)
	await book(west.id, utc('2025-02-01T12:00:00'), 'grant', 10);
	await certify(west, utc('2025-03-01T04:30:00')); // New York 28 Feb 23:30: February (UTC: March)
	await certify(west, utc('2025-03-01T05:30:00')); // New York 1 Mar 00:30: March
	await book(west.id, utc('2025-03-15T15:00:00'), 'grant', 5);
	await certify(west, utc('2025-03-09T06:30:00'), utc('2025-03-31T12:00:00')); // around the DST change; revoked in March
	await certify(west, utc('2025-04-01T03:30:00')); // New York 31 Mar 23:30: March (UTC: April)
	await certify(west, utc('2025-04-01T04:30:00')); // New York 1 Apr 00:30: April
	await book(west.id, utc('2025-03-25T12:00:00'), 'correction', 2);
	await reject(west, utc('2025-04-01T03:00:00'), 'report_schema_invalid'); // New York 31 Mar 23:00: March
	await reject(west, utc('2025-03-01T04:00:00'), 'licence_exhausted'); // New York 28 Feb 23:00: February
});
afterAll(async () => env?.stop());

describe('the monthly schedule', () => {
	it('reports each tenant once its month has ended in its time zone; a second pass creates nothing', async () => {
		const first = await scheduleMonth(app.database.db, app.queue, MONTH, RUN_AT);
		// north (Berlin) and the platform (UTC) have ended; west (New York) ends at 04:00 UTC
		expect(first).toMatchObject({ month: MONTH, waiting: 1, nextPassAt: '2025-04-01T04:01:00.000Z' });
		const later = await app.database.sql`select count(*)::int as n from pgboss.job where name = 'reports.monthly' and data->>'month' = ${MONTH} and start_after = '2025-04-01T04:01:00Z'`;
		expect(later[0].n).toBe(1);
		expect((await scheduleMonth(app.database.db, app.queue, MONTH, RUN_AT)).created).toBe(0);
		const next = await scheduleMonth(app.database.db, app.queue, MONTH, LATER);
		expect(next).toMatchObject({ waiting: 0, nextPassAt: null });
		const rows = await app.database.sql<{ scope: string; version: number; time_zone: string; period_start: Date; period_end: Date }[]>`
			select scope, version, time_zone, period_start, period_end from billing_reports where month = ${MONTH} and scope = any(${[north.id, west.id, 'platform']})`;
		expect(rows.map((r) => [r.scope, r.version, r.time_zone]).sort()).toEqual(
			[
				[north.id, 1, 'Europe/Berlin'],
				[west.id, 1, 'America/New_York'],
				['platform', 1, 'UTC']
			].sort()
		);
		const n = rows.find((r) => r.scope === north.id)!;
		expect([new Date(n.period_start).toISOString(), new Date(n.period_end).toISOString()]).toEqual(['2025-02-28T23:00:00.000Z', '2025-03-31T22:00:00.000Z']);
		// every created version has its generation job
		const jobs = await app.database.sql`select data->>'reportId' as id from pgboss.job where name = 'reports.monthly' and data ? 'reportId'`;
		for (const scope of [north.id, west.id, 'platform']) {
			const [row] = await app.database.sql<{ id: string }[]>`select id from billing_reports where scope = ${scope} and month = ${MONTH}`;
			expect(jobs.map((j) => j.id)).toContain(row.id);
			reports.set(scope, (await reportRow(app.database.db, row.id))!);
		}
	});
});

describe('a tenant report', () => {
	it('states what the ledger and the certificates say, in the tenant’s time zone', async () => {
		for (const t of [north, west]) {
			const row = await generated(reports.get(t.id)!);
			reports.set(t.id, row);
			const want = await expected([t.id], () => t.timeZone);
			expect(row.totals).toEqual({ ledger: want.ledger, certificates: { issued: want.issued, revoked: want.revoked, anchored: want.anchored }, rejected: Object.values(want.rejections).reduce((a, b) => a + b, 0) });
			expect(row.totals!.ledger.closing).toBe(row.totals!.ledger.opening + want.ledger.grants + want.ledger.topUps - want.ledger.consumptions + want.ledger.refunds + want.ledger.corrections);
			const b = row.breakdown!;
			expect(asObject(b.mediaType)).toEqual(want.mediaType);
			expect(asObject(b.method)).toEqual(want.method);
			expect(asObject(b.result)).toEqual(want.result);
			expect(asObject(b.attestation)).toEqual(want.attestation);
			expect(Object.keys(want.attestation).sort()).toEqual(['agent', 'operator']);
			expect(Object.fromEntries(b.rejections.map((r) => [r.code, r.count]))).toEqual(want.rejections);
			expect(b.day).toHaveLength(31);
			expect(Object.fromEntries(b.day.filter((d) => d.issued).map((d) => [d.day, d.issued]))).toEqual(want.issuedPerDay);
			expect(b.day.reduce((n, d) => n + d.consumed, 0)).toBe(want.ledger.consumptions);
			expect(b.agent.reduce((n, a) => n + a.count, 0)).toBe(want.issued);
		}
	});

	it('the boundary rows land in the tenant’s month, not UTC’s', async () => {
		const n = reports.get(north.id)!;
		const w = reports.get(west.id)!;
		// north: 1 Mar 00:30 Berlin (UTC February) counts, 1 Apr 00:30 Berlin (UTC March) does not
		expect(n.totals!.certificates.issued).toBe(6);
		// west: 31 Mar 23:30 New York (UTC April) counts, 28 Feb 23:30 New York (UTC March) does not
		expect(w.totals!.certificates.issued).toBe(3);
		expect(n.breakdown!.day.find((d) => d.day === '2025-03-01')!.issued).toBe(1);
		expect(w.breakdown!.day.find((d) => d.day === '2025-03-31')!.issued).toBe(1);
	});

	it('writes a CSV with one row per certificate and a JSON document of the same data, each hashed in the row', async () => {
		const row = reports.get(north.id)!;
		const csv = await bytesOf(row.csvKey);
		const json = await bytesOf(row.jsonKey);
		expect([sha(csv), csv.length, sha(json), json.length]).toEqual([row.csvSha256, row.csvBytes, row.jsonSha256, row.jsonBytes]);
		const [header, ...lines] = csvRows(csv.toString('utf8'));
		expect(header).toEqual([...CERTIFICATE_COLUMNS]);
		const want = await expected([north.id], () => north.timeZone);
		expect(lines.map((l) => l[0]).sort()).toEqual(want.issuedIds);
		const doc = zBillingReportDocument.parse(JSON.parse(json.toString('utf8')));
		expect(doc).toMatchObject({ scope: 'tenant', month: MONTH, timeZone: 'Europe/Berlin', tenant: { id: north.id }, totals: row.totals });
		expect(doc.certificates.map((c) => c.certificateId)).toEqual(lines.map((l) => l[0]));
		// as of the month's end: revoked in March shows revoked, revoked in April shows valid
		const byId = new Map(doc.certificates.map((c) => [c.certificateId, c]));
		for (const c of certs.filter((x) => x.tenantId === north.id && byId.has(x.publicId))) {
			expect(byId.get(c.publicId)!.status).toBe(c.revokedAt && c.revokedAt < new Date('2025-03-31T22:00:00Z') ? 'revoked' : 'valid');
			expect(byId.get(c.publicId)!.serial).toBe(c.serial);
			expect([byId.get(c.publicId)!.attestation, byId.get(c.publicId)!.attestedBy]).toEqual(c.attestation === 'operator' ? ['operator', 'Otto Test'] : ['agent', null]);
		}
	});

	it('signs a statement (PAdES, published keys) in the tenant’s language that names the two files’ hashes', async () => {
		const row = reports.get(north.id)!;
		const pdf = await bytesOf(row.pdfKey);
		expect(sha(pdf)).toBe(row.pdfSha256);
		await expect(checkSignature(new Uint8Array(pdf), latin1(new Uint8Array(pdf)), keys)).resolves.toMatchObject({ keyId: expect.any(String) });
		const dir = mkdtempSync(join(tmpdir(), 'statement-'));
		try {
			writeFileSync(join(dir, 's.pdf'), pdf);
			const text = execFileSync('pdftotext', ['-layout', join(dir, 's.pdf'), '-'], { encoding: 'utf8' });
			expect(text).toContain('Monatsabrechnung');
			expect(text).toContain('März 2025');
			expect(text).toContain(row.csvSha256!);
			expect(text).toContain(row.jsonSha256!);
			expect(text).toMatch(new RegExp(`Endbestand\\s+${row.totals!.ledger.closing}`));
			// a changed byte breaks the signature
			const tampered = Buffer.from(pdf);
			tampered[200] ^= 1;
			await expect(checkSignature(new Uint8Array(tampered), latin1(new Uint8Array(tampered)), keys)).rejects.toThrow(/changed after signing/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('the platform report', () => {
	it('sums every tenant over the UTC month, one row per tenant', async () => {
		const row = await generated(reports.get('platform')!);
		const ours = row.breakdown!.tenants.filter((t) => t.tenantId === north.id || t.tenantId === west.id);
		for (const t of [north, west]) {
			const want = await expected([t.id], () => 'UTC');
			expect(ours.find((x) => x.tenantId === t.id)).toMatchObject({ ledger: want.ledger, issued: want.issued, revoked: want.revoked });
		}
		const all = row.breakdown!.tenants;
		expect(row.totals!.ledger.consumptions).toBe(all.reduce((n, t) => n + t.ledger.consumptions, 0));
		expect(row.totals!.certificates.issued).toBe(all.reduce((n, t) => n + t.issued, 0));
		const [header, ...lines] = csvRows((await bytesOf(row.csvKey)).toString('utf8'));
		expect(header).toEqual([...TENANT_COLUMNS]);
		expect(lines.map((l) => l[1])).toEqual(all.map((t) => t.slug));
	});
});

describe('generating a month again', () => {
	it('keeps the published version and writes a new one with the same bytes; audited', async () => {
		const v1 = reports.get(north.id)!;
		const [queued] = await app.database.db.transaction((tx) => runReports(tx, app.queue, { month: MONTH, tenantId: north.id, reason: 'customer asked' }, ctx, LATER));
		expect(queued).toMatchObject({ version: 2, status: 'generating', reason: 'customer asked', requestedById: 'admin-1' });
		const v2 = await generated(queued);
		for (const k of ['csv', 'json', 'pdf'] as const) {
			const key = `${k}Key` as const;
			expect(v2[key]).not.toBe(v1[key]);
			expect((await bytesOf(v2[key])).equals(await bytesOf(v1[key]))).toBe(true);
		}
		expect(v2.statementSha256).toBe(v1.statementSha256);
		expect((await reportRow(app.database.db, v1.id))!.status).toBe('published');
		const audit = await app.database.sql`select action, target, details from audit_events where tenant_id = ${north.id} and action = 'report.regenerate'`;
		expect(audit).toEqual([{ action: 'report.regenerate', target: `report:${v2.id}`, details: { month: MONTH, version: 2, reason: 'customer asked' } }]);
		const list = await listReports(app.database.db, { tenantId: north.id }, {});
		expect(list.items.map((r) => [r.month, r.version])).toEqual([
			[MONTH, 2],
			[MONTH, 1]
		]);
	});

	it('re-signs when the data changed, and the figures follow it', async () => {
		await app.database.db.transaction((tx) => updateTenantSettings(tx, north.id, { name: 'North Renamed AG' }, ctx));
		const [queued] = await app.database.db.transaction((tx) => runReports(tx, app.queue, { month: MONTH, tenantId: north.id }, ctx, LATER));
		const v3 = await generated(queued);
		const v1 = reports.get(north.id)!;
		expect(v3.csvSha256).toBe(v1.csvSha256);
		expect(v3.jsonSha256).not.toBe(v1.jsonSha256);
		expect(v3.statementSha256).not.toBe(v1.statementSha256);
		const pdf = await bytesOf(v3.pdfKey);
		await expect(checkSignature(new Uint8Array(pdf), latin1(new Uint8Array(pdf)), keys)).resolves.toBeTruthy();
	});

	it('refuses a month that has not ended, and another tenant’s report is not found', async () => {
		await expect(app.database.db.transaction((tx) => runReports(tx, app.queue, { month: MONTH, tenantId: west.id }, ctx, RUN_AT))).rejects.toMatchObject({
			code: 'validation_failed',
			details: [{ field: 'month', problem: 'has not ended yet in America/New_York' }]
		});
		await expect(getReport(app.database.db, { tenantId: west.id }, reports.get(north.id)!.id)).rejects.toMatchObject({ code: 'not_found' });
		await expect(app.database.db.transaction((tx) => runReports(tx, app.queue, { month: MONTH, tenantId: '00000000-0000-4000-8000-000000000000' }, ctx, LATER))).rejects.toMatchObject({
			code: 'not_found'
		});
	});
});

describe('report.ready', () => {
	it('is in the outbox once for every published version of a tenant report, never for the platform report', async () => {
		const published = await app.database.sql<{ id: string }[]>`select id from billing_reports where status = 'published' and tenant_id is not null`;
		const notified = await app.database.sql<{ id: string; tenant_id: string | null }[]>`
			select payload->'data'->>'reportId' as id, tenant_id from notification_deliveries where event_type = 'report.ready'`;
		expect(published.length).toBeGreaterThan(2);
		expect(notified.map((n) => n.id).sort()).toEqual(published.map((p) => p.id).sort());
		expect(notified.every((n) => n.tenant_id !== null)).toBe(true);
	});
});
