import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform } from '../../../../tests/platform';
import { canonicalJson } from '#lib/server/certificates';
import { grantLicences } from '#lib/server/licences';
import type { Platform } from '#lib/server/platform';
import { ensureDevTenants } from '#lib/server/tenancy';
import { createLogger } from '#lib/server/telemetry/logger';
import { claimBatch, processBatch, type PipelineContext, type PipelineParts } from './pipeline';
import { ProofRejection, RetryableFailure } from './rejections';
import { reprocessProof, retryProof } from './retry';
import { registerProof, storeProof } from './submission';

/**
 * The proof worker's state machine on the real database, queue and storage
 * (issue 5 §5, §6). The proof format itself is the crypto engineer's
 * (proofs/format); here a proof is a DER SEQUENCE around an OCTET STRING of
 * report JSON, and the parts below stand in for decrypt/verify, HMAC and the
 * keyring only — every step of the pipeline's own (claims, duplicates,
 * licences, certificate rows, receipts recorded once, retries) runs for real.
 * tests/pipeline-agent-sim.spec.ts runs the same path with real proofs (agent-sim) and the real signer.
 */
let env: Awaited<ReturnType<typeof startTestPlatform>>;
let p: Platform;
let acme: string;
const hmacKey = randomBytes(32);
const receiptKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signed = new Map<string, number>();
let signerDown = false;

type TestReport = { serial: string; signer?: string; bad?: 'signature' | 'schema'; nonce?: string };

const parts: PipelineParts = {
	async open(der) {
		const json = Buffer.from(der.subarray(der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2)).toString('utf8');
		const r = JSON.parse(json.slice(json.indexOf('{'))) as TestReport;
		if (r.bad === 'signature') throw new ProofRejection('proof_invalid_signature');
		if (r.bad === 'schema') throw new ProofRejection('report_schema_invalid', 'device.serial: required');
		const report = { device: { type: 'SSD', manufacturer: 'Samsung', model: '870 EVO', serial: r.serial }, result: 'erased' };
		return { report, canonicalReport: Buffer.from(canonicalJson(report)), signerSerialHex: r.signer ?? 'aa01' };
	},
	async hmac(bytes) {
		if (signerDown) throw new RetryableFailure('signer unavailable');
		return createHmac('sha256', hmacKey).update(bytes).digest('hex');
	},
	async signReceipts(records) {
		if (signerDown) throw new RetryableFailure('signer unavailable');
		const out = new Map<string, { keyId: string; signature: string; algorithm: string }>();
		for (const r of records) {
			signed.set(r.id, (signed.get(r.id) ?? 0) + 1);
			out.set(r.id, { keyId: 'test-key', signature: sign('sha256', r.bytes, receiptKey.privateKey).toString('base64'), algorithm: 'ecdsa-p256-sha256' });
		}
		return out;
	}
};

let ctx: PipelineContext;

async function submit(report: TestReport, tenantId = acme) {
	const json = Buffer.from(JSON.stringify({ ...report, nonce: report.nonce ?? randomBytes(4).toString('hex') }));
	const inner = Buffer.concat([Buffer.from([0x04, 0x81, json.length]), json]);
	const der = Buffer.concat([Buffer.from([0x30, 0x81, inner.length]), inner]);
	const stored = await storeProof(p.storage, tenantId, der);
	return p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }));
}

const state = async (publicId: string) =>
	(await p.database.sql<{ id: string; status: string; rejection_code: string | null; retries: number }[]>`
		select id, status, rejection_code, retries from proofs where public_id = ${publicId}`)[0];
const consumptions = async (proofId: string) =>
	(await p.database.sql`select count(*)::int as n from licence_ledger where kind = 'consumption' and proof_id = ${proofId}`)[0].n as number;
const drain = async (worker = 'w1') => {
	let total = 0;
	for (let r = await processBatch(ctx, worker); r.claimed; r = await processBatch(ctx, worker)) total += r.claimed;
	return total;
};
const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
const balance = async () => (await p.database.sql`select balance_after from licence_ledger where tenant_id = ${acme} order by id desc limit 1`)[0].balance_after as number;

beforeAll(async () => {
	env = await startTestPlatform();
	p = env.platform;
	acme = (await ensureDevTenants(p.database.db)).acme;
	await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki) values (${acme}, 'bench', 'aa01', '', '')`;
	await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki, status, revoked_at, revocation_reason)
		values (${acme}, 'old', 'bb02', '', '', 'revoked', now() - interval '1 hour', 'lost')`;
	await p.database.db.transaction((tx) => grantLicences(tx, { tenantId: acme, kind: 'grant', amount: 6, reason: 'test' }, admin));
	ctx = {
		db: p.database.db,
		queue: p.queue,
		storage: p.storage,
		log: createLogger('silent'),
		parts,
		settings: { batchSize: 4, claimTimeoutSeconds: 60, retryBaseDelay: 30, retryMaxDelay: 600, retryLimit: 3, anchor: false, notify: false }
	};
});
afterAll(async () => env?.stop());

describe('proof worker pipeline', () => {
	it('certifies good proofs and rejects bad ones with their code, one licence and one receipt each', async () => {
		const good = await Promise.all([1, 2, 3, 4, 5].map((i) => submit({ serial: `S-${i}` })));
		const bad = [await submit({ serial: 'X', bad: 'signature' }), await submit({ serial: 'Y', bad: 'schema' }), await submit({ serial: 'Z', signer: 'ffff' }), await submit({ serial: 'R', signer: 'bb02' })];
		const dup = await submit({ serial: 'S-1', nonce: 'other-envelope' });
		await drain();
		for (const g of good) {
			const s = await state(g.publicId);
			expect(s.status).toBe('CERTIFIED_NO_ANCHOR');
			expect(await consumptions(s.id)).toBe(1);
		}
		expect(await Promise.all(bad.map(async (b) => (await state(b.publicId)).rejection_code))).toEqual([
			'proof_invalid_signature',
			'report_schema_invalid',
			'agent_unknown',
			'agent_revoked'
		]);
		const d = await state(dup.publicId);
		// the same report as S-1 in another envelope: rejected as a duplicate, whichever came first
		expect(d.status === 'REJECTED' ? d.rejection_code : 'certified').toBe('proof_duplicate');
		const certs = await p.database.sql`select status, receipt_signature, public_id from certificates where tenant_id = ${acme}`;
		expect(certs).toHaveLength(5);
		expect(certs.every((c) => c.status === 'valid' && c.receipt_signature && /^wc_[a-z2-7]{26}$/.test(c.public_id))).toBe(true);
		expect([...signed.values()].every((n) => n === 1)).toBe(true);
		const timeline = await p.database.sql`select to_status from proof_events e join proofs p on p.id = e.proof_id where p.public_id = ${good[0].publicId} order by e.id`;
		expect(timeline.map((t) => t.to_status)).toEqual(['RECEIVED', 'VALIDATING', 'CERTIFIED_NO_ANCHOR']);
	});

	it('no licence left: REJECTED licence_exhausted; after a top-up, reprocess certifies it, charged once', async () => {
		expect(await balance()).toBe(1);
		const [a, b] = [await submit({ serial: 'L-1' }), await submit({ serial: 'L-2' })];
		await drain();
		const states = [await state(a.publicId), await state(b.publicId)];
		expect(states.map((s) => s.status).sort()).toEqual(['CERTIFIED_NO_ANCHOR', 'REJECTED']);
		const loser = states.find((s) => s.status === 'REJECTED')!;
		expect(loser.rejection_code).toBe('licence_exhausted');
		const loserPublic = loser.id === states[0].id ? a.publicId : b.publicId;
		await p.database.db.transaction((tx) => grantLicences(tx, { tenantId: acme, kind: 'top_up', amount: 2, reason: 'more' }, admin));
		await p.database.db.transaction((tx) => reprocessProof(tx, p.queue, acme, loserPublic, admin));
		await drain();
		expect((await state(loserPublic)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(loser.id)).toBe(1);
		await expect(p.database.db.transaction((tx) => reprocessProof(tx, p.queue, acme, loserPublic, admin))).rejects.toMatchObject({ code: 'conflict' });
	});

	it('signer down: FAILED_RETRYABLE with a delayed retry job; certified once it is back', async () => {
		signerDown = true;
		const r = await submit({ serial: 'D-1' });
		await drain();
		const s = await state(r.publicId);
		expect([s.status, s.retries]).toEqual(['FAILED_RETRYABLE', 1]);
		const [job] = await p.database.sql`select start_after > now() + interval '20 seconds' as later from pgboss.job where name = 'proofs.retry' and data->>'proofId' = ${s.id}`;
		expect(job.later).toBe(true);
		signerDown = false;
		expect(await retryProof(p.database.db, p.queue, s.id)).toBe(1);
		await drain();
		expect((await state(r.publicId)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(s.id)).toBe(1);
	});

	it('a claim that ran out is taken over; the first worker can then change nothing', async () => {
		await p.database.db.transaction((tx) => grantLicences(tx, { tenantId: acme, kind: 'top_up', amount: 10, reason: 'more' }, admin));
		const r = await submit({ serial: 'C-1' });
		const short = { ...ctx, settings: { ...ctx.settings, claimTimeoutSeconds: 1 } };
		const claimed = await claimBatch(short, 'dead-worker');
		expect(claimed.map((c) => c.publicId)).toContain(r.publicId);
		expect((await processBatch(ctx, 'w2')).claimed).toBe(0);
		await p.database.sql`select pg_sleep(1.2)`;
		await drain('w2');
		const s = await state(r.publicId);
		expect(s.status).toBe('CERTIFIED_NO_ANCHOR');
		// the dead worker's late moves find nothing it still holds
		const late = await p.database.db.transaction((tx) =>
			tx.execute(sql`update proofs set status = 'REJECTED', rejection_code = 'proof_malformed' where id = ${s.id} and claimed_by = 'dead-worker' returning id`)
		);
		expect(late.length).toBe(0);
		expect(await consumptions(s.id)).toBe(1);
		expect([...signed.values()].every((n) => n === 1)).toBe(true);
	});

	it('a crash after the licence and certificate row resumes issuance without charging or signing again', async () => {
		const r = await submit({ serial: 'K-1' });
		// the worker got as far as the decision, then died before signing (simulated: the signer throws a non-retryable error once)
		const crashing = { ...ctx, parts: { ...parts, signReceipts: async () => Promise.reject(new Error('killed')) } };
		await processBatch(crashing, 'w3');
		const s = await state(r.publicId);
		expect(s.status).toBe('FAILED_RETRYABLE');
		expect(await consumptions(s.id)).toBe(1);
		await retryProof(p.database.db, p.queue, s.id);
		await drain('w4');
		expect((await state(r.publicId)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(s.id)).toBe(1);
		const certs = await p.database.sql`select count(*)::int as n from certificates where proof_id = ${s.id}`;
		expect(certs[0].n).toBe(1);
		const [cert] = await p.database.db.execute<{ public_id: string }>(sql`select public_id from certificates where proof_id = ${s.id}`);
		expect(signed.get(cert.public_id)).toBe(1);
		const [row] = await p.database.sql`select status from certificates where proof_id = ${s.id}`;
		expect(row.status).toBe('valid');
	});
});
