import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeIssuance, createCertificateRecords, revokeCertificate, type Certificate } from '../../src/lib/server/certificates';
import { BUNDLE_FILE_NAME } from '../../src/lib/server/certificates/bundle';
import { appendCertificatesToLog, renderCertificatePdfs } from '../../src/lib/server/certificates/issue-pdf';
import { sampleRecord } from '../../src/lib/server/certificates/sample';
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { leafHash, verifyCheckpoint, verifyConsistency, verifyInclusion } from '../../src/lib/server/log';
import { newPublicId } from '../../src/lib/server/records';
import { createKeyringSigner, type KeyringSigner } from '../../src/lib/server/signer';
import { createStore } from '../../src/lib/server/storage';
import { startApp, type AppProcess } from '../helpers/app-process';

/**
 * Public verification on the built app: certificates
 * issued with the real keyring, log and PDF modules into the app's database
 * and DATA_DIR; then every public route and page is read over HTTP, and no
 * answer may contain an internal id of a tenant, organisation, proof or
 * certificate.
 */
let app: AppProcess;
let dataDir: string;
let signer: KeyringSigner;
const issued: { acme: Certificate[]; globex: Certificate[] } = { acme: [], globex: [] };
const pdfs = new Map<string, Uint8Array>();
const responses: { what: string; body: string }[] = [];
let n = 0;
/** a fresh client address per request (TRUSTED_PROXY_HOPS=1): the scan never meets the rate limit */
const addr = () => `198.51.100.${(n++ % 250) + 1}`;

async function get(path: string, init: RequestInit = {}) {
	const r = await fetch(`${app.origin}${path}`, { ...init, headers: { 'x-forwarded-for': addr(), ...(init.headers ?? {}) } });
	const bytes = new Uint8Array(await r.arrayBuffer());
	responses.push({ what: `${init.method ?? 'GET'} ${path}`, body: Buffer.from(bytes).toString('latin1') + JSON.stringify(Object.fromEntries(r.headers)) });
	return { status: r.status, bytes, text: () => Buffer.from(bytes).toString('utf8'), json: () => JSON.parse(Buffer.from(bytes).toString('utf8')), headers: r.headers };
}

async function issue(tenantSlug: 'acme' | 'globex', count: number, status: string) {
	const db = app.database.db;
	const [{ id: tenantId, name }] = await app.database.sql`select id, name from tenants where slug = ${tenantSlug}`;
	const rows: { tenantId: string; proofId: string; publicId: string; record: ReturnType<typeof sampleRecord> }[] = [];
	for (let i = 0; i < count; i++) {
		const [proof] = await app.database.sql`
			insert into proofs (public_id, tenant_id, source, submitter_kind, submitter_id, size_bytes, content_sha256, object_key, status)
			values (${newPublicId('proof')}, ${tenantId}, 'api', 'user', 'test', 100, ${randomBytes(32).toString('hex')}, ${'proofs/x/' + randomUUID()}, ${status})
			returning id, public_id`;
		const publicId = newPublicId('certificate');
		const record = sampleRecord(publicId, { issuer: name as string, status: i % 2 ? 'erased' : 'erased_with_warnings' });
		record.issuer.tenant = tenantSlug;
		record.proof.id = proof.public_id as string;
		rows.push({ tenantId: tenantId as string, proofId: proof.id as string, publicId, record });
	}
	const certs = await db.transaction((tx) => createCertificateRecords(tx, rows));
	const config = resolveConfig(parseConfig({ DATA_DIR: dataDir, DATABASE_URL: app.database.url ?? '', ORIGIN: app.origin }));
	const storage = await createStore(config);
	const origin = `${new URL(app.origin).host}/log`;
	const indexes = await appendCertificatesToLog({ db, origin, signNote: (b) => signer.signNote(b) }, certs);
	const keys = await renderCertificatePdfs({ db, storage, signer, origin: app.origin }, certs);
	const receipts = await signer.signBatch(certs.map((c) => ({ id: c.publicId, bytes: Buffer.from(JSON.stringify(c.record)) })));
	await db.transaction((tx) =>
		completeIssuance(
			tx,
			certs.map((c) => ({ id: c.id, receiptKeyId: receipts.keyId, receiptSignature: receipts.signatures.get(c.publicId)!, receiptAlgorithm: receipts.algorithm, logIndex: indexes.get(c.id)!, pdfObjectKey: keys.get(c.id)! }))
		)
	);
	for (const c of certs) pdfs.set(c.publicId, (await storage.getBytes(keys.get(c.id)!))!);
	return certs;
}

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), 'wipecert-verify-'));
	app = await startApp({ DATA_DIR: dataDir, SIGNER_KEYS: '2', TRUSTED_PROXY_HOPS: '1', RATE_LIMIT_VERIFY: '30/60' });
	signer = await createKeyringSigner(join(dataDir, 'keys'), { keys: 2, batchSize: 50, noteKeyName: `${new URL(app.origin).host}/log` });
	await app.database.sql`update tenants set language = 'de' where slug = 'globex'`;
	issued.acme = await issue('acme', 3, 'CERTIFIED_NO_ANCHOR');
	issued.globex = await issue('globex', 2, 'CERTIFIED_PENDING_ANCHOR');
	const [acme] = await app.database.sql`select id from tenants where slug = 'acme'`;
	await app.database.db.transaction((tx) =>
		revokeCertificate(tx, acme.id as string, issued.acme[2].publicId, 'Device returned to service and re-used', { actor: { kind: 'user', id: 'admin', role: 'tenant_admin' }, correlationId: 't', sourceIp: null }, app.origin)
	);
}, 180_000);
afterAll(async () => {
	if (process.env.DEBUG_APP) console.log(app?.output().slice(-6000));
	await signer?.close();
	await app?.stop();
	rmSync(dataDir, { recursive: true, force: true });
});

describe('public verification', () => {
	it('shows a certificate by public ID: status, masked serial, issuer, log entry with a proof that verifies', async () => {
		const keys = (await get('/api/v1/public/keys')).json();
		const c = issued.acme[0];
		const r = await get(`/api/v1/public/certificates/${c.publicId}`);
		expect(r.status).toBe(200);
		const body = r.json();
		expect(body).toMatchObject({ publicId: c.publicId, status: 'valid', anchoring: 'none', issuer: { name: 'Acme Recycling' }, device: { manufacturer: 'Samsung', serialMasked: 'S4••••••••456X' } });
		expect(r.text()).not.toContain('S4EVNF0M123456X');
		const cp = verifyCheckpoint(body.log.checkpoint, keys.logVerifierKey);
		expect(cp.ok).toBe(true);
		const leaf = leafHash(entryOf(c));
		expect(verifyInclusion(body.log.leafIndex, body.log.treeSize, leaf, body.log.inclusion.map((h: string) => Buffer.from(h, 'base64')), cp.ok ? cp.checkpoint.rootHash : new Uint8Array())).toBe(true);
		expect((await get(`/api/v1/public/certificates/${issued.globex[0].publicId}`)).json()).toMatchObject({ anchoring: 'pending', issuer: { name: 'Globex Corporation' } });
		const revoked = (await get(`/api/v1/public/certificates/${issued.acme[2].publicId}`)).json();
		expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'Device returned to service and re-used' });
		expect(revoked.revokedAt).toBeTruthy();
		expect((await get('/api/v1/public/certificates/wc_aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
		expect((await get('/api/v1/public/certificates/not-an-id')).status).toBe(404);
	});

	it('serves the signed PDF and the log API: checkpoint, inclusion by index and by leaf hash, consistency', async () => {
		const c = issued.acme[1];
		const pdf = await get(`/api/v1/public/certificates/${c.publicId}/pdf`);
		expect(pdf.status).toBe(200);
		expect(pdf.headers.get('content-type')).toBe('application/pdf');
		expect(Buffer.from(pdf.bytes).equals(Buffer.from(pdfs.get(c.publicId)!))).toBe(true);
		const keys = (await get('/api/v1/public/keys')).json();
		const latest = (await get('/api/v1/log/checkpoint')).json();
		expect(latest.treeSize).toBe(5);
		const first = (await get('/api/v1/log/checkpoint?treeSize=3')).json();
		expect(verifyCheckpoint(first.note, keys.logVerifierKey, latest.origin).ok).toBe(true);
		const cons = (await get('/api/v1/log/proofs/consistency?first=3&second=5')).json();
		expect(verifyConsistency(3, 5, Buffer.from(first.rootHash, 'base64'), Buffer.from(latest.rootHash, 'base64'), cons.hashes.map((h: string) => Buffer.from(h, 'base64')))).toBe(true);
		const leaf = Buffer.from(leafHash(entryOf(c)));
		const byHash = (await get(`/api/v1/log/proofs/inclusion?leafHash=${leaf.toString('hex')}`)).json();
		const byIndex = (await get(`/api/v1/log/proofs/inclusion?index=${byHash.leafIndex}&treeSize=5`)).json();
		expect(byHash).toEqual(byIndex);
		expect(verifyInclusion(byIndex.leafIndex, 5, leaf, byIndex.hashes.map((h: string) => Buffer.from(h, 'base64')), Buffer.from(latest.rootHash, 'base64'))).toBe(true);
		expect((await get(`/api/v1/public/certificates/${randomUUID()}/pdf`, { headers: { accept: 'application/json' } })).status).toBe(404);
		expect((await get('/api/v1/public/certificates/wc_aaaaaaaaaaaaaaaaaaaaaaaaaa/pdf')).status).toBe(404);
		expect((await get('/api/v1/log/proofs/inclusion?index=9')).status).toBe(400);
		expect((await get('/api/v1/log/proofs/inclusion?index=0&treeSize=4')).status).toBe(404);
		expect((await get('/api/v1/log/checkpoint?treeSize=abc')).status).toBe(422);
	});

	it('gives a verdict on an uploaded PDF: valid; revoked; altered names the failed check', async () => {
		const post = (bytes: Uint8Array) => get('/api/v1/public/verifications', { method: 'POST', body: Buffer.from(bytes), headers: { 'content-type': 'application/pdf' } });
		const ok = (await post(pdfs.get(issued.globex[1].publicId)!)).json();
		expect(ok).toMatchObject({ valid: true, failed: null, publicId: issued.globex[1].publicId });
		expect(ok.checks.map((c: { check: string }) => c.check)).toEqual(['signature', 'record', 'checkpoint', 'inclusion', 'registry', 'status']);
		const revoked = (await post(pdfs.get(issued.acme[2].publicId)!)).json();
		expect(revoked).toMatchObject({ valid: false, failed: 'status' });
		expect(revoked.reason).toContain('Device returned to service');
		const altered = new Uint8Array(pdfs.get(issued.acme[0].publicId)!);
		altered[2000] ^= 0x04;
		expect((await post(altered)).json()).toMatchObject({ valid: false, failed: 'signature' });
		expect((await get('/api/v1/public/verifications', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
	});

	it('pages: /verify, /verify/{id} (valid, revoked, pending anchor), unknown ID → 404 page; the upload form gives the verdict', async () => {
		const home = await get('/verify');
		expect(home.status).toBe(200);
		const page = await get(`/verify/${issued.acme[0].publicId}`, { headers: { 'accept-language': 'en' } });
		expect(page.status).toBe(200);
		expect(page.text()).toContain('data-status="valid"');
		expect(page.text()).toContain('S4••••••••456X');
		const rev = await get(`/verify/${issued.acme[2].publicId}`);
		expect(rev.text()).toContain('data-status="revoked"');
		expect(rev.text()).toContain('Device returned to service and re-used');
		expect((await get(`/verify/${issued.globex[0].publicId}`)).text()).toContain('data-testid="anchoring"');
		const missing = await get('/verify/wc_zzzzzzzzzzzzzzzzzzzzzzzzzz');
		expect(missing.status).toBe(404);
		const form = new FormData();
		form.set('pdf', new Blob([Buffer.from(pdfs.get(issued.acme[1].publicId)!)], { type: 'application/pdf' }), 'certificate.pdf');
		const upload = await get('/verify?/upload', { method: 'POST', body: form, headers: { origin: app.origin, accept: 'text/html' } });
		expect(upload.status).toBe(200);
		expect(upload.text()).toContain('data-valid="true"');
		const lookup = await fetch(`${app.origin}/verify?/lookup`, { method: 'POST', body: new URLSearchParams({ id: `${app.origin}/verify/${issued.acme[1].publicId}` }), headers: { origin: app.origin, accept: 'text/html' }, redirect: 'manual' });
		expect(lookup.status).toBe(303);
		expect(lookup.headers.get('location')).toBe(`/verify/${issued.acme[1].publicId}`);
	});

	it('the tenant downloads its own certificate PDF; another tenant gets 404', async () => {
		const { signInToApp } = await import('../helpers/oidc-browser');
		const acme = await signInToApp(app.origin, 'viewer@acme.test');
		const own = await fetch(`${app.origin}/api/v1/certificates/${issued.acme[0].publicId}/pdf`, { headers: { cookie: acme.header() } });
		expect(own.status).toBe(200);
		expect(own.headers.get('content-type')).toBe('application/pdf');
		expect(Buffer.from(await own.arrayBuffer()).equals(Buffer.from(pdfs.get(issued.acme[0].publicId)!))).toBe(true);
		const other = await fetch(`${app.origin}/api/v1/certificates/${issued.globex[0].publicId}/pdf`, { headers: { cookie: acme.header() } });
		expect(other.status).toBe(404);
		expect((await fetch(`${app.origin}/api/v1/certificates/${issued.acme[0].publicId}/pdf`)).status).toBe(401);
	});

	it('is rate limited per client address (RATE_LIMIT_VERIFY)', async () => {
		const hit = () => fetch(`${app.origin}/api/v1/public/certificates/${issued.acme[0].publicId}`, { headers: { 'x-forwarded-for': '203.0.113.77' } });
		for (let i = 0; i < 30; i++) expect((await hit()).status).toBe(200);
		const limited = await hit();
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
		expect((await limited.json()).error.code).toBe('rate_limited');
	});

	it('no public answer contains an internal id of a tenant, organisation, proof, certificate or agent', async () => {
		const ids = (
			await app.database.sql`
				select id::text from tenants union all select id::text from organisations
				union all select id::text from proofs union all select id::text from certificates
				union all select id::text from agents`
		).map((r) => r.id as string);
		expect(ids.length).toBeGreaterThan(10);
		// the embedded verification bundles too (compressed inside the PDFs)
		const { PDFDocument, PDFName, PDFDict, PDFArray, PDFHexString, PDFRawStream, decodePDFRawStream } = await import('pdf-lib');
		for (const [id, pdf] of pdfs) {
			const doc = await PDFDocument.load(pdf, { updateMetadata: false });
			const list = doc.catalog.lookup(PDFName.of('Names'), PDFDict).lookup(PDFName.of('EmbeddedFiles'), PDFDict).lookup(PDFName.of('Names'), PDFArray);
			expect(list.lookup(0, PDFHexString).decodeText()).toBe(BUNDLE_FILE_NAME);
			const stream = list.lookup(1, PDFDict).lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'));
			if (!(stream instanceof PDFRawStream)) throw new Error('no embedded bundle stream');
			responses.push({ what: `bundle of ${id}`, body: Buffer.from(decodePDFRawStream(stream).decode()).toString('utf8') });
		}
		expect(responses.length).toBeGreaterThan(30);
		for (const r of responses) {
			const body = r.body.toLowerCase();
			for (const id of ids) expect(body.includes(id) || body.includes(id.replaceAll('-', '')), `${r.what} contains ${id}`).toBe(false);
		}
	});

	it('answers with a short Cache-Control and a strong ETag: If-None-Match gets 304 until the status changes', async () => {
		// issued after the app has answered for older leaves: the cached checkpoint must not hide its log entry
		const [c] = await issue('globex', 1, 'CERTIFIED_NO_ANCHOR');
		const path = `/api/v1/public/certificates/${c.publicId}`;
		const first = await get(path);
		const [{ log_index }] = await app.database.sql`select log_index from certificates where public_id = ${c.publicId}`;
		expect(first.json().log?.leafIndex).toBe(Number(log_index));
		const etag = first.headers.get('etag')!;
		expect(etag).toMatch(/^"[A-Za-z0-9_-]{20,}"$/);
		expect(first.headers.get('cache-control')).toBe('public, max-age=10, must-revalidate');
		const unchanged = await get(path, { headers: { 'if-none-match': `"other", ${etag}` } });
		expect(unchanged.status).toBe(304);
		expect(unchanged.bytes.length).toBe(0);
		expect(unchanged.headers.get('etag')).toBe(etag);
		expect((await get(path, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
		const [globex] = await app.database.sql`select id from tenants where slug = 'globex'`;
		await app.database.db.transaction((tx) =>
			revokeCertificate(tx, globex.id as string, c.publicId, 'Issued for the wrong device', { actor: { kind: 'user', id: 'admin', role: 'tenant_admin' }, correlationId: 't', sourceIp: null }, app.origin)
		);
		const revoked = await get(path, { headers: { 'if-none-match': etag } });
		expect(revoked.status).toBe(200);
		expect(revoked.json()).toMatchObject({ status: 'revoked', revocationReason: 'Issued for the wrong device' });
		expect(revoked.headers.get('etag')).not.toBe(etag);
	});

	it('answers a certificate asked again with the same bytes until the log grows, then proves inclusion in the newer checkpoint', async () => {
		const [c] = await issue('acme', 1, 'CERTIFIED_NO_ANCHOR');
		const path = `/api/v1/public/certificates/${c.publicId}`;
		const first = await get(path);
		const again = await get(path);
		expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
		expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
		await issue('acme', 2, 'CERTIFIED_NO_ANCHOR');
		const [{ newest }] = await app.database.sql`select max(tree_size)::int as newest from log_checkpoints`;
		expect(newest).toBeGreaterThan(first.json().log.treeSize);
		// the app re-reads the newest checkpoint once its cached one is a second old
		await new Promise((r) => setTimeout(r, 1100));
		const later = await get(path);
		expect(later.json().log).toMatchObject({ leafIndex: first.json().log.leafIndex, treeSize: newest });
		expect(later.headers.get('etag')).not.toBe(first.headers.get('etag'));
		const { log } = later.json();
		expect(verifyInclusion(log.leafIndex, log.treeSize, leafHash(entryOf(c)), log.inclusion.map((h: string) => Buffer.from(h, 'base64')), Buffer.from(log.rootHash, 'base64'))).toBe(true);
	});
});

/** canonical JSON of a record (keys sorted at every level), as the log leaf hashes it */
/** The log leaf of a certificate, written out here from the documented encoding (not the app's code). */
function entryOf(c: Certificate): Buffer {
	const sha = createHash('sha256').update(JSON.stringify(sortKeys(c.record))).digest('hex');
	return Buffer.from(`wipecert/certificate/v1\n${c.publicId}\n${sha}\n`);
}

function sortKeys(v: unknown): unknown {
	if (Array.isArray(v)) return v.map(sortKeys);
	if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
	return v;
}
