import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { createKeyringSigner } from '#lib/server/signer/keyring';
import { createCsr } from '#lib/server/signer/pki';
import { ensureDevTenants } from '#lib/server/tenancy';
import { submitBulk, type BulkSubmission } from './bulk';
import { submitContext } from './submit';
import { buildProof } from './format';
import { sampleReport } from './format/sample';

/**
 * `POST /api/v1/proofs/bulk` answers one result per file, in upload order
 * (openapi BulkSubmission). The benchmark saw 1,000 proofs registered but only
 * 90 items filled: files still waiting for a pool slot when the multipart
 * parser closed were registered after the answer was built.
 */
const COUNT = 1000;
let env: Awaited<ReturnType<typeof startTestContainer>>;
let acme: string;
const files: { name: string; der: Buffer }[] = [];

beforeAll(async () => {
	env = await startTestContainer();
	({ acme } = await ensureDevTenants(env.app.database.db));
	const keyring = await createKeyringSigner(join(env.dataDir, 'keys'), { keys: 1, batchSize: 10 });
	const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await keyring.issueAgentCertificate({ tenantId: acme, agentId: 'bulk-agent', name: 'bulk', csrPem: createCsr({ CN: 'bulk' }, agentKey) });
	const encryptionCert = (await keyring.publicKeys()).proofEncryptionCertificatePem;
	await keyring.close();
	for (let i = 0; i < COUNT; i++) {
		const name = `proof-${String(i).padStart(4, '0')}.der`;
		files.push({ name, der: buildProof({ report: sampleReport(), agentKey, agentCert: issued.certificatePem, encryptionCert }) });
	}
	// a file that is not DER, and the same bytes twice: each keeps its own result in its place
	files[500] = { name: 'not-a-proof.der', der: Buffer.from('not DER at all') };
	files[700] = { name: 'again.der', der: files[699].der };
}, 180_000);
afterAll(async () => env?.stop());

const by = () => ({ tenantId: acme, submitter: { kind: 'user' as const, id: 'u-bulk' }, source: 'bulk' as const, scope: `t:${acme}:u-bulk` });
const limits = () => ({ proofMaxBytes: 1024 * 1024, bulkMaxBytes: 64 * 1024 * 1024, concurrency: 4, tmpDir: join(env.dataDir, 'tmp') });

async function submit(request: Request): Promise<BulkSubmission> {
	const p = env.app;
	const outcome = await submitBulk(submitContext(p, p.database.db), { request, url: new URL(request.url) }, by(), limits());
	expect(outcome.status).toBe(202);
	// what the client receives: holes in the array would travel as null
	return JSON.parse(JSON.stringify(outcome.body)) as BulkSubmission;
}

async function expectEveryResult(body: BulkSubmission, prefix: string) {
	expect(body.items).toHaveLength(COUNT);
	expect(body.items.filter((i) => i === null)).toEqual([]);
	expect(body.items.map((i) => i.name)).toEqual(files.map((f) => `${prefix}${f.name}`));
	expect(body.items[500]).toMatchObject({ error: { code: 'proof_not_der' } });
	// the same bytes twice: one proof; files are registered side by side (BULK_CONCURRENCY), so which
	// of the two registered first — and which one is the duplicate — depends on scheduling
	expect(body.items[700].publicId).toBe(body.items[699].publicId);
	expect([body.items[699].duplicate, body.items[700].duplicate].sort()).toEqual([false, true]);
	for (const [i, item] of body.items.entries()) if (i !== 500) expect(item, item.name).toMatchObject({ publicId: expect.any(String), status: expect.any(String) });
	expect(body).toMatchObject({ accepted: COUNT - 1, failed: 1 });
	// every answered public ID is the registered proof of that file
	const rows = await env.app.database.sql<{ public_id: string; filename: string }[]>`
		select public_id, filename from proofs where tenant_id = ${acme} and public_id = any(${body.items.flatMap((i) => (i.publicId ? [i.publicId] : []))})`;
	const byId = new Map(rows.map((r) => [r.public_id, r.filename]));
	for (const [i, item] of body.items.entries()) if (i !== 500 && i !== 699 && i !== 700) expect(byId.get(item.publicId!)).toBe(item.name);
	expect([files[699].name, files[700].name]).toContain(byId.get(body.items[699].publicId!));
}

describe('bulk submission of 1,000 real proofs', () => {
	it('multipart: every file has its result, in upload order', async () => {
		const form = new FormData();
		for (const f of files) form.append('file', new Blob([new Uint8Array(f.der)]), f.name);
		const body = await submit(new Request('http://localhost/api/v1/proofs/bulk', { method: 'POST', body: form }));
		await expectEveryResult(body, '');
		// registered 50 to a transaction: still one RECEIVED timeline entry and one job per proof
		const sql = env.app.database.sql;
		const [{ ids }] = await sql<{ ids: string[] }[]>`select array_agg(id::text) as ids from proofs where tenant_id = ${acme} and source = 'bulk'`;
		expect(ids).toHaveLength(COUNT - 2);
		const [{ received }] = await sql<{ received: number }[]>`select count(*)::int as received from proof_events where proof_id = any(${ids}::uuid[]) and to_status = 'RECEIVED'`;
		expect(received).toBe(COUNT - 2);
		const jobs = await sql<{ proof_id: string; n: number }[]>`select data->>'proofId' as proof_id, count(*)::int as n from pgboss.job where name = 'proofs.validated' and data->>'proofId' = any(${ids}) group by 1`;
		expect(jobs).toHaveLength(COUNT - 2);
		expect(jobs.filter((j) => j.n !== 1)).toEqual([]);
	}, 180_000);

	it('a suspended tenant: every file answers tenant_suspended and nothing is registered (a batch rolls back whole)', async () => {
		const sql = env.app.database.sql;
		const fresh = files.slice(0, 120).map((f, i) => ({ name: `suspended-${i}.der`, der: Buffer.concat([f.der.subarray(0, f.der.length - 1), Buffer.from([f.der[f.der.length - 1] ^ 1])]) }));
		await sql`update tenants set status = 'suspended' where id = ${acme}`;
		try {
			const form = new FormData();
			for (const f of fresh) form.append('file', new Blob([new Uint8Array(f.der)]), f.name);
			const body = await submit(new Request('http://localhost/api/v1/proofs/bulk', { method: 'POST', body: form }));
			expect(body).toMatchObject({ accepted: 0, failed: 120 });
			expect(body.items.filter((i) => i.error?.code !== 'tenant_suspended')).toEqual([]);
			const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from proofs where tenant_id = ${acme} and filename like 'suspended-%'`;
			expect(n).toBe(0);
		} finally {
			await sql`update tenants set status = 'active' where id = ${acme}`;
		}
	}, 180_000);

	it('zip: every entry has its result, in archive order (the files are duplicates of the multipart ones now)', async () => {
		const zip = new yazl.ZipFile();
		for (const f of files) zip.addBuffer(f.der, `z/${f.name}`);
		zip.end();
		const chunks: Buffer[] = [];
		for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
		const request = new Request('http://localhost/api/v1/proofs/bulk', {
			method: 'POST',
			body: Buffer.concat(chunks),
			headers: { 'content-type': 'application/zip', 'idempotency-key': randomBytes(8).toString('hex') }
		});
		const body = await submit(request);
		expect(body.items).toHaveLength(COUNT);
		expect(body.items.map((i) => i.name)).toEqual(files.map((f) => `z/${f.name}`));
		expect(body.items.filter((i, n) => n !== 500 && !(i.publicId && i.duplicate))).toEqual([]);
	}, 180_000);
});
