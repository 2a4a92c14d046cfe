import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalRecordBytes } from '../../src/lib/server/records';
import { grantLicences } from '../../src/lib/server/licences';
import { buildProof } from '../../src/lib/server/proofs/format';
import { sampleReport } from '../../src/lib/server/proofs/format/sample';
import { createKeyringSigner } from '../../src/lib/server/signer/keyring';
import { createCsr } from '../../src/lib/server/signer/pki';
import { registerProof, storeProof } from '../../src/lib/server/proofs/submission';
import { ensureDevTenants } from '../../src/lib/server/tenancy';
import { startTestContainer } from '../helpers/container';

/**
 * Exactly once under kill -9: worker processes running the
 * real pipeline are killed mid-run, again and again, then one runs to the end.
 * Nothing is lost (every proof certified), nothing is doubled (one ledger
 * consumption, one certificate, one receipt signature per proof).
 */
const COUNT = 300;
const KEYS = 8;
let env: Awaited<ReturnType<typeof startTestContainer>>;

function worker(id: string): { child: ChildProcess; exited: Promise<number | null>; out: () => string } {
	let out = '';
	const child = spawn('node_modules/.bin/tsx', ['--tsconfig', 'tsconfig.json', 'tests/helpers/pipeline-crash-worker.ts', id], {
		env: { PATH: process.env.PATH ?? '', DATABASE_URL: env.databaseUrl, DATA_DIR: env.dataDir, PROOF_CLAIM_TIMEOUT: '2', SIGNER_KEYS: String(KEYS), SIGNER_BATCH_SIZE: '10' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	child.stdout?.on('data', (d) => (out += d));
	child.stderr?.on('data', (d) => (out += d));
	return { child, exited: new Promise((r) => child.once('exit', (code) => r(code))), out: () => out };
}

beforeAll(async () => {
	env = await startTestContainer();
	const p = env.app;
	const { acme } = await ensureDevTenants(p.database.db);
	// real proofs (proofs/format) from an agent certified by acme's agent CA in the keyring the workers share (DATA_DIR/keys)
	const keyring = await createKeyringSigner(join(env.dataDir, 'keys'), { keys: KEYS, batchSize: 10 });
	const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await keyring.issueAgentCertificate({ tenantId: acme, agentId: 'crash-agent', name: 'crash', csrPem: createCsr({ CN: 'crash' }, agentKey) });
	const encryptionCert = (await keyring.publicKeys()).proofEncryptionCertificatePem;
	await keyring.close();
	await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki) values (${acme}, 'crash', ${issued.serialHex}, ${issued.certificatePem}, '')`;
	const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
	await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'grant', amount: COUNT, reason: 'crash test' }, admin));
	for (let i = 0; i < COUNT; i++) {
		const der = buildProof({ report: sampleReport(), agentKey, agentCert: issued.certificatePem, encryptionCert });
		const stored = await storeProof(p.storage, acme, der);
		await p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }));
	}
}, 120_000);
afterAll(async () => env?.stop());

describe('proof worker killed with SIGKILL mid-run', () => {
	it('loses nothing and doubles nothing', async () => {
		const sql = env.app.database.sql;
		const done = async () => (await sql`select count(*)::int as n from proofs where status = 'CERTIFIED_NO_ANCHOR'`)[0].n as number;
		let kills = 0;
		// two workers at a time, killed as soon as they have certified a few, until half of the proofs are through
		while ((await done()) < COUNT / 2 && kills < 16) {
			const start = await done();
			const pair = [worker(`w${kills}a`), worker(`w${kills}b`)];
			const deadline = Date.now() + 15_000;
			while ((await done()) < start + 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
			await new Promise((r) => setTimeout(r, Math.random() * 100));
			for (const w of pair) w.child.kill('SIGKILL');
			await Promise.all(pair.map((w) => w.exited));
			kills += 2;
		}
		expect(kills).toBeGreaterThan(0);
		const before = await done();
		expect(before).toBeLessThan(COUNT);
		const [resumed] = await sql`select count(*)::int as n from signer_receipts r join certificates c on c.public_id = r.record_id where c.status = 'issuing' and r.signature is not null`;
		console.info(`[pipeline-crash] ${kills} workers killed; ${before}/${COUNT} certified before the survivor; ${resumed.n} receipts signed by a killed worker and not yet recorded as issued`);
		const survivor = worker('survivor');
		expect(await survivor.exited, survivor.out()).toBe(0);

		const states = await sql`select status, count(*)::int as n from proofs group by status`;
		expect(states.map((s) => ({ ...s }))).toEqual([{ status: 'CERTIFIED_NO_ANCHOR', n: COUNT }]);
		const [ledger] = await sql`select count(*)::int as rows, count(distinct proof_id)::int as proofs from licence_ledger where kind = 'consumption'`;
		expect(ledger).toEqual({ rows: COUNT, proofs: COUNT });
		const [certs] = await sql`select count(*)::int as n, count(*) filter (where status = 'valid')::int as valid from certificates`;
		expect(certs).toEqual({ n: COUNT, valid: COUNT });
		// one signature per record, and the certificate carries that one
		const [receipts] = await sql`
			select count(*)::int as n, count(*) filter (where c.receipt_signature = r.signature and c.receipt_key_id = r.key_id)::int as matching
			from signer_receipts r join certificates c on c.public_id = r.record_id`;
		expect(receipts).toEqual({ n: COUNT, matching: COUNT });
		// and every one is a keyring key's signature over the certificate record
		const keys = new Map((await (await createKeyringSigner(join(env.dataDir, 'keys'), { keys: KEYS, batchSize: 10 })).publicKeys()).signing.map((k) => [k.keyId, new X509Certificate(k.certificatePem).publicKey]));
		const rows = await sql<{ record: unknown; receipt_key_id: string; receipt_signature: string }[]>`select record, receipt_key_id, receipt_signature from certificates`;
		for (const r of rows) expect(verify('sha256', canonicalRecordBytes(r.record), keys.get(r.receipt_key_id)!, Buffer.from(r.receipt_signature, 'base64'))).toBe(true);
		const [balance] = await sql`select balance_after from licence_ledger order by id desc limit 1`;
		expect(balance.balance_after).toBe(0);
	}, 480_000);
});
