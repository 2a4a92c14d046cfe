import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zGetProofResponse } from '../../src/lib/api/zod.gen';
import { signRequest } from '../../src/lib/server/agents/http-signature';
import { freePort } from '../helpers/app-process';
import { signInToApp, type CookieJar } from '../helpers/oidc-browser';
import { startStack, type Stack } from '../helpers/pipeline-stack';

/** Submission of proofs through the API, bulk and the agent gateway, on the built app. */
let stack: Stack;
let operator: CookieJar;
let globexAdmin: CookieJar;

/** A body shaped like a DER proof (one SEQUENCE spanning the body); its content is random. */
function derLike(size = 64): Uint8Array<ArrayBuffer> {
	return new Uint8Array(Buffer.concat([Buffer.from([0x30, 0x81, size]), randomBytes(size)]));
}
const bytes = (b: Buffer) => new Uint8Array(b);

async function post(path: string, body: BodyInit, headers: Record<string, string>, jar: CookieJar = operator) {
	const r = await fetch(`${stack.origin}${path}`, { method: 'POST', body, headers: { cookie: jar.header(), origin: stack.origin, ...headers } });
	return { status: r.status, headers: r.headers, json: (await r.json()) as Record<string, unknown> & { error?: { code: string } } };
}
const get = async (path: string, jar: CookieJar = operator) => {
	const r = await fetch(`${stack.origin}${path}`, { headers: { cookie: jar.header() } });
	return { status: r.status, json: (await r.json()) as Record<string, unknown> & { error?: { code: string } } };
};

beforeAll(async () => {
	stack = await startStack({ env: { PROOF_MAX_BYTES: '4096' } });
	operator = await signInToApp(stack.origin, 'operator@acme.test');
	globexAdmin = await signInToApp(stack.origin, 'admin@globex.test');
}, 180_000);
afterAll(async () => stack?.stop());

describe('POST /api/v1/proofs', () => {
	it('refuses another content type (415), a body that is not DER (415 proof_not_der) and a body over PROOF_MAX_BYTES (413)', async () => {
		expect((await post('/api/v1/proofs', '{}', { 'content-type': 'application/json' })).json.error?.code).toBe('unsupported_media_type');
		expect((await post('/api/v1/proofs', 'hello', { 'content-type': 'application/octet-stream' })).json.error?.code).toBe('proof_not_der');
		const truncated = derLike(100).subarray(0, 50);
		const r = await post('/api/v1/proofs', truncated, { 'content-type': 'application/pkcs7-mime' });
		expect([r.status, r.json.error?.code]).toEqual([415, 'proof_not_der']);
		const huge = await post('/api/v1/proofs', new Uint8Array(5000).fill(0x30), { 'content-type': 'application/pkcs7-mime' });
		expect([huge.status, huge.json.error?.code]).toEqual([413, 'payload_too_large']);
	});

	it('accepts a proof: object stored, row and job committed, 202 with a public ID; the same file again is that proof', async () => {
		const file = derLike();
		const r = await post('/api/v1/proofs', file, { 'content-type': 'application/pkcs7-mime', 'x-filename': 'C:\\proofs\\disk-1.der' });
		expect(r.status).toBe(202);
		expect(r.json).toMatchObject({ status: 'RECEIVED', duplicate: false });
		const publicId = String(r.json.publicId);
		expect(publicId).toMatch(/^prf_[a-z2-7]{26}$/);
		const [row] = await stack.database.sql<{ id: string; object_key: string; filename: string }[]>`select id, object_key, filename from proofs where public_id = ${publicId}`;
		expect(row.filename).toBe('disk-1.der');
		expect(existsSync(join(stack.dataDir, 'objects', row.object_key))).toBe(true);
		const [job] = await stack.database.sql`select count(*)::int as n from pgboss.job where name = 'proofs.validated' and data->>'proofId' = ${row.id}`;
		expect(job.n).toBe(1);
		const again = await post('/api/v1/proofs', file, { 'content-type': 'application/octet-stream' });
		expect(again.json).toMatchObject({ publicId, duplicate: true });
		const detail = await get(`/api/v1/proofs/${publicId}`);
		expect(detail.json).toMatchObject({ publicId, status: 'RECEIVED', source: 'api', reprocessable: false });
		expect((detail.json.timeline as { to: string }[]).map((t) => t.to)).toEqual(['RECEIVED']);
		// the answer is what the generated client validates against
		expect(zGetProofResponse.safeParse(detail.json).success).toBe(true);
	});

	it('Idempotency-Key: the same key and body answer the stored result; another body is 409', async () => {
		const key = randomUUID();
		const file = derLike();
		const one = await post('/api/v1/proofs', file, { 'content-type': 'application/pkcs7-mime', 'idempotency-key': key });
		const two = await post('/api/v1/proofs', file, { 'content-type': 'application/pkcs7-mime', 'idempotency-key': key });
		expect(two.json).toEqual(one.json);
		expect(two.headers.get('idempotent-replayed')).toBe('true');
		const other = await post('/api/v1/proofs', derLike(), { 'content-type': 'application/pkcs7-mime', 'idempotency-key': key });
		expect([other.status, other.json.error?.code]).toEqual([409, 'idempotency_key_reused']);
	});

	it("another tenant's proof is 404; lists are the caller's tenant only and search by public ID", async () => {
		const r = await post('/api/v1/proofs', derLike(), { 'content-type': 'application/pkcs7-mime' });
		const publicId = String(r.json.publicId);
		expect((await get(`/api/v1/proofs/${publicId}`, globexAdmin)).status).toBe(404);
		expect((await get(`/api/v1/proofs/prf_${'a'.repeat(26)}`)).status).toBe(404);
		expect((await get('/api/v1/proofs/not-an-id')).status).toBe(404);
		const mine = await get(`/api/v1/proofs?q=${publicId}`);
		expect((mine.json.items as { publicId: string }[]).map((i) => i.publicId)).toEqual([publicId]);
		const theirs = await get(`/api/v1/proofs?limit=200`, globexAdmin);
		expect((theirs.json.items as { publicId: string }[]).filter((i) => i.publicId === publicId)).toEqual([]);
		const page = await get('/api/v1/proofs?limit=1');
		expect(page.json.nextCursor).toBeTypeOf('string');
		const next = await get(`/api/v1/proofs?limit=1&cursor=${page.json.nextCursor}`);
		expect((next.json.items as unknown[]).length).toBe(1);
		expect((await get('/api/v1/proofs?cursor=bogus')).status).toBe(400);
	});
});

describe('licences on the running app', () => {
	it('the dev seed gave acme 1,000 and globex 100; a platform admin tops up once per Idempotency-Key', async () => {
		expect((await get('/api/v1/licences')).json).toMatchObject({ balance: 1000, granted: 1000 });
		expect((await get('/api/v1/licences', globexAdmin)).json).toMatchObject({ balance: 100 });
		const admin = await signInToApp(stack.origin, 'admin@wipecert.test');
		const [globex] = await stack.database.sql<{ id: string }[]>`select id from tenants where slug = 'globex'`;
		const key = randomUUID();
		const body = JSON.stringify({ tenantId: globex.id, kind: 'top_up', amount: 25, reason: 'PO 4711' });
		const one = await post('/api/v1/licences/grants', body, { 'content-type': 'application/json', 'idempotency-key': key }, admin);
		const two = await post('/api/v1/licences/grants', body, { 'content-type': 'application/json', 'idempotency-key': key }, admin);
		expect(one.status).toBe(201);
		expect(two.json).toEqual(one.json);
		expect((await get('/api/v1/licences', globexAdmin)).json).toMatchObject({ balance: 125 });
		expect((await post('/api/v1/licences/grants', body, { 'content-type': 'application/json' }, operator)).status).toBe(403);
		const ledger = await get('/api/v1/licences/ledger', globexAdmin);
		expect((ledger.json.items as { kind: string }[]).map((i) => i.kind)).toEqual(['top_up', 'grant']);
	});
});

describe('POST /api/v1/proofs/bulk', () => {
	it('takes many files as multipart, one result per file, a bad file beside good ones', async () => {
		const form = new FormData();
		form.append('file', new Blob([derLike()]), 'a.der');
		form.append('file', new Blob([bytes(Buffer.from('not a proof'))]), 'b.der');
		form.append('file', new Blob([derLike()]), 'c.der');
		form.append('file', new Blob([new Uint8Array(5000).fill(0x30)]), 'big.der');
		const r = await post('/api/v1/proofs/bulk', form, {});
		expect(r.status).toBe(202);
		const items = r.json.items as { name: string; publicId?: string; error?: { code: string } }[];
		expect(items.map((i) => [i.name, i.publicId ? 'ok' : i.error?.code])).toEqual([
			['a.der', 'ok'],
			['b.der', 'proof_not_der'],
			['c.der', 'ok'],
			['big.der', 'payload_too_large']
		]);
		expect(r.json).toMatchObject({ accepted: 2, failed: 2 });
	});

	it('keeps the case of a browser-style multipart boundary (RFC 2046 §5.1.1: boundaries are case-sensitive)', async () => {
		const b = '----WebKitFormBoundaryQ3XcWn0PD7XBKbds';
		const body = Buffer.concat([
			Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="proof"; filename="webkit.der"\r\nContent-Type: application/pkcs7-mime\r\n\r\n`),
			Buffer.from(derLike()),
			Buffer.from(`\r\n--${b}--\r\n`)
		]);
		const r = await post('/api/v1/proofs/bulk', bytes(body), { 'content-type': `multipart/form-data; boundary=${b}` });
		expect(r.status).toBe(202);
		expect(r.json).toMatchObject({ accepted: 1, failed: 0, items: [{ name: 'webkit.der' }] });
	});

	it('takes a zip, skips folders, and replays the answer for the same Idempotency-Key', async () => {
		const zip = new yazl.ZipFile();
		const names = Array.from({ length: 25 }, (_, i) => `batch/proof-${i}.der`);
		for (const n of names) zip.addBuffer(Buffer.from(derLike()), n);
		zip.addEmptyDirectory('batch/empty');
		zip.end();
		const chunks: Buffer[] = [];
		for await (const c of zip.outputStream) chunks.push(c as Buffer);
		const body = bytes(Buffer.concat(chunks));
		const key = randomUUID();
		const r = await post('/api/v1/proofs/bulk', body, { 'content-type': 'application/zip', 'idempotency-key': key });
		expect(r.status).toBe(202);
		expect((r.json.items as { name: string }[]).map((i) => i.name)).toEqual(names);
		expect(r.json).toMatchObject({ accepted: 25, failed: 0 });
		const again = await post('/api/v1/proofs/bulk', body, { 'content-type': 'application/zip', 'idempotency-key': key });
		expect(again.json).toEqual(r.json);
		expect(again.headers.get('idempotent-replayed')).toBe('true');
		const broken = await post('/api/v1/proofs/bulk', bytes(Buffer.from('PK not really')), { 'content-type': 'application/zip' });
		expect(broken.status).toBe(415);
		expect((await post('/api/v1/proofs/bulk', 'x', { 'content-type': 'text/plain' })).json.error?.code).toBe('unsupported_media_type');
	});
});

describe('agent gateway /ingest/v1', () => {
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	let agentId = '';

	beforeAll(async () => {
		// An agent row as enrolment leaves it (request authentication reads only its key and status).
		const [acme] = await stack.database.sql<{ id: string }[]>`select id from tenants where slug = 'acme'`;
		const spki = key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
		const [a] = await stack.database.sql<{ id: string }[]>`
			insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki)
			values (${acme.id}, 'bench-1', ${randomBytes(8).toString('hex')}, '', ${spki}) returning id`;
		agentId = a.id;
	});

	const signed = (body: Uint8Array, extra: Record<string, string> = {}, path = '/ingest/v1/proofs', method = 'POST') => ({
		'content-type': 'application/pkcs7-mime',
		...signRequest({ method, url: `${stack.origin}${path}`, body, keyId: agentId, privateKey: key.privateKey }),
		...extra
	});
	const send = async (body: Uint8Array<ArrayBuffer>, headers: Record<string, string>) => {
		const r = await fetch(`${stack.origin}/ingest/v1/proofs`, { method: 'POST', body, headers });
		return { status: r.status, headers: r.headers, json: (await r.json()) as Record<string, unknown> & { error?: { code: string } } };
	};

	it('accepts a signed proof on the ingest role and lets the agent read its status', async () => {
		const body = derLike();
		const r = await send(body, signed(body));
		expect(r.status).toBe(202);
		const path = `/ingest/v1/proofs/${r.json.publicId}`;
		const status = await fetch(`${stack.origin}${path}`, { headers: signed(new Uint8Array(), {}, path, 'GET') });
		expect(await status.json()).toMatchObject({ publicId: r.json.publicId, status: 'RECEIVED', rejectionCode: null });
		const [row] = await stack.database.sql`select source, agent_id, submitter_kind from proofs where public_id = ${String(r.json.publicId)}`;
		expect(row).toEqual({ source: 'ingest', agent_id: agentId, submitter_kind: 'agent' });
	});

	it('refuses unsigned, replayed, tampered, suspended and revoked requests with catalogue codes, never 500', async () => {
		const body = derLike();
		const unsigned = await send(body, { 'content-type': 'application/pkcs7-mime' });
		expect([unsigned.status, unsigned.json.error?.code]).toEqual([401, 'unauthenticated']);
		expect(unsigned.headers.get('accept-signature')).toContain('"@target-uri"');
		const headers = signed(body);
		expect((await send(body, headers)).status).toBe(202);
		const replay = await send(body, headers);
		expect([replay.status, replay.json.error?.code]).toEqual([401, 'agent_signature_replayed']);
		const tampered = await send(derLike(), signed(body));
		expect([tampered.status, tampered.json.error?.code]).toEqual([400, 'content_digest_mismatch']);
		const old = signRequest({ method: 'POST', url: `${stack.origin}/ingest/v1/proofs`, body, keyId: agentId, privateKey: key.privateKey, created: Math.floor(Date.now() / 1000) - 3600 });
		expect((await send(body, { 'content-type': 'application/pkcs7-mime', ...old })).json.error?.code).toBe('agent_signature_expired');
		const garbage = bytes(Buffer.from('garbage'));
		expect((await send(garbage, signed(garbage))).json.error?.code).toBe('proof_not_der');
		await stack.database.sql`update agents set status = 'suspended', suspended_at = now() where id = ${agentId}`;
		expect((await send(body, signed(body))).json.error?.code).toBe('agent_suspended');
		await stack.database.sql`update agents set status = 'revoked', revoked_at = now(), revocation_reason = 'test' where id = ${agentId}`;
		expect((await send(body, signed(body))).json.error?.code).toBe('agent_revoked');
	});

	it('the ingest role cannot read tenants or users, and cannot update proofs', async () => {
		const sql = postgres(stack.ingestUrl, { max: 1, onnotice: () => {} });
		try {
			await expect(sql`select * from tenants`).rejects.toMatchObject({ code: '42501' });
			await expect(sql`select * from users`).rejects.toMatchObject({ code: '42501' });
			await expect(sql`select * from licence_ledger`).rejects.toMatchObject({ code: '42501' });
			await expect(sql`update proofs set status = 'CERTIFIED'`).rejects.toMatchObject({ code: '42501' });
			await expect(sql`update agents set status = 'active'`).rejects.toMatchObject({ code: '42501' });
			expect((await sql`select count(*)::int as n from proofs`)[0].n).toBeGreaterThan(0);
		} finally {
			await sql.end();
		}
	});

	it('the `ingest` entry serves /ingest/v1 and health only', async () => {
		const port = await freePort();
		let out = '';
		const child = spawn(process.execPath, ['build/ingest.js'], { env: { PATH: process.env.PATH ?? '', ...stack.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
		child.stdout?.on('data', (d) => (out += d));
		child.stderr?.on('data', (d) => (out += d));
		try {
			const base = `http://127.0.0.1:${port}`;
			for (let i = 0; ; i++) {
				if (child.exitCode !== null) throw new Error(`ingest exited: ${out}`);
				const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
				if (ok) break;
				if (i > 240) throw new Error(`ingest did not start: ${out}`);
				await new Promise((r) => setTimeout(r, 250));
			}
			const api = await fetch(`${base}/api/v1/proofs`);
			expect(api.status).toBe(404);
			expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
			expect((await fetch(`${base}/auth/login`)).status).toBe(404);
			const unsigned = await fetch(`${base}/ingest/v1/proofs`, { method: 'POST', body: derLike(), headers: { 'content-type': 'application/pkcs7-mime' } });
			expect(unsigned.status).toBe(401);
		} finally {
			child.kill('SIGTERM');
			await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
		}
	});
});
