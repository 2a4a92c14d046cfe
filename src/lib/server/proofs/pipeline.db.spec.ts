import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import type { Container } from '#lib/server/container';
import { grantLicences } from '#lib/server/licences';
import { logOrigin } from '#lib/server/log';
import { SignerUnavailable, type Signer } from '#lib/server/signer';
import { createCsr } from '#lib/server/signer/pki';
import { ensureDevTenants } from '#lib/server/tenancy';
import { createLogger } from '#lib/server/telemetry/logger';
import { buildProof, envelopeProof, reportBytes, signReport } from './format';
import { sampleReport } from './format/sample';
import { claimBatch, createPipeline, processBatch, type PipelineContext } from './pipeline';
import { reprocessProof, retryProof } from './retry';
import { registerProof, storeProof } from './submission';

/**
 * The proof worker's state machine on the real container: database, queue,
 * storage and keyring signer, with real proofs (proof format v1) from agents
 * enrolled with the tenant's agent CA. Faults are injected around the real
 * signer (an outage, a worker killed mid-issuance); every step of the
 * pipeline runs for real: claims, duplicates, licences, certificate rows,
 * receipts signed once, log leaves, PDFs, retries.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let acme: string;
let encryptionCert: string;
type Station = { key: KeyObject; cert: string };
let station: Station;
let unknownStation: Station;
let revokedStation: Station;
const signed = new Map<string, number>();
const faults = { down: false, killNextBatch: false };

/** The real signer, with the faults above and a count of receipt signatures per record. */
function faulty(real: Signer): Signer {
	return new Proxy(real, {
		get(target, prop, receiver) {
			const value = Reflect.get(target, prop, receiver);
			if (typeof value !== 'function') return value;
			return (...args: unknown[]) => {
				if (faults.down) throw new SignerUnavailable('signer stopped by the test');
				if (prop === 'signBatch') {
					if (faults.killNextBatch) {
						faults.killNextBatch = false;
						throw new Error('worker killed by the test');
					}
					for (const r of args[0] as { id: string }[]) signed.set(r.id, (signed.get(r.id) ?? 0) + 1);
				}
				return value.apply(target, args);
			};
		}
	});
}

async function enrol(name: string, opts: { register?: boolean; revokedAt?: string } = {}): Promise<Station> {
	const signer = await p.signer();
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await signer.issueAgentCertificate({ tenantId: acme, agentId: name, name, csrPem: createCsr({ CN: name }, key) });
	if (opts.register ?? true) {
		const spki = new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
		await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki, status, revoked_at, revocation_reason)
			values (${acme}, ${name}, ${issued.serialHex.toLowerCase()}, ${issued.certificatePem}, ${spki},
				${opts.revokedAt ? 'revoked' : 'active'}, ${opts.revokedAt ?? null}, ${opts.revokedAt ? 'lost' : null})`;
	}
	return { key, cert: issued.certificatePem };
}

let ctx: PipelineContext;

type Bad = 'signature' | 'schema';
async function submit(opts: { from?: Station; report?: ReturnType<typeof sampleReport>; bad?: Bad } = {}) {
	const from = opts.from ?? station;
	const report = opts.report ?? sampleReport({ warningRatio: 0 });
	let der: Uint8Array;
	if (opts.bad === 'signature') {
		// signed by another key than the embedded certificate's
		const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		der = envelopeProof(signReport(reportBytes(report), other, from.cert), encryptionCert);
	} else if (opts.bad === 'schema') {
		der = buildProof({ report: { ...report, device: { model: 'no serial' } }, agentKey: from.key, agentCert: from.cert, encryptionCert });
	} else der = buildProof({ report, agentKey: from.key, agentCert: from.cert, encryptionCert });
	const stored = await storeProof(p.storage, acme, der);
	return p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }));
}

const state = async (publicId: string) =>
	(await p.database.sql<{ id: string; status: string; rejection_code: string | null; retries: number }[]>`
		select id, status, rejection_code, retries from proofs where public_id = ${publicId}`)[0];
const consumptions = async (proofId: string) =>
	(await p.database.sql`select count(*)::int as n from licence_ledger where kind = 'consumption' and proof_id = ${proofId}`)[0].n as number;
const drain = async (worker = 'w1', on = ctx) => {
	let total = 0;
	for (let r = await processBatch(on, worker); r.claimed; r = await processBatch(on, worker)) total += r.claimed;
	return total;
};
const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
const balance = async () => (await p.database.sql`select balance_after from licence_ledger where tenant_id = ${acme} order by id desc limit 1`)[0].balance_after as number;

beforeAll(async () => {
	env = await startTestContainer({ env: { SIGNER_KEYS: '4' } });
	p = env.app;
	acme = (await ensureDevTenants(p.database.db)).acme;
	encryptionCert = (await (await p.signer()).publicKeys()).proofEncryptionCertificatePem;
	station = await enrol('bench');
	unknownStation = await enrol('never-registered', { register: false });
	revokedStation = await enrol('old', { revokedAt: new Date(Date.now() - 3_600_000).toISOString() });
	await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'grant', amount: 6, reason: 'test' }, admin));
	const real = await p.signer();
	ctx = createPipeline({
		db: p.database.db,
		queue: p.queue,
		storage: p.storage,
		log: createLogger('silent'),
		signer: async () => faulty(real),
		issuance: { origin: p.config.origin, logOrigin: logOrigin(p.config) },
		settings: { batchSize: 4, claimTimeoutSeconds: 60, retryBaseDelay: 30, retryMaxDelay: 600, retryLimit: 3, anchor: false, notify: false }
	});
});
afterAll(async () => env?.stop());

describe('proof worker pipeline', () => {
	it('certifies good proofs and rejects bad ones with their code, one licence and one receipt each', async () => {
		const reports = [1, 2, 3, 4, 5].map(() => sampleReport({ warningRatio: 0 }));
		const good = await Promise.all(reports.map((report) => submit({ report })));
		const bad = [
			await submit({ bad: 'signature' }),
			await submit({ bad: 'schema' }),
			await submit({ from: unknownStation }),
			await submit({ from: revokedStation })
		];
		// the same report as the first in another envelope (a new signing time and content encryption key)
		const dup = await submit({ report: reports[0] });
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
		// rejected as a duplicate, whichever of the two came first
		expect(d.status === 'REJECTED' ? d.rejection_code : 'certified').toBe('proof_duplicate');
		const certs = await p.database.sql<{ status: string; receipt_signature: string | null; public_id: string; log_index: string | null; pdf_object_key: string | null }[]>`
			select status, receipt_signature, public_id, log_index, pdf_object_key from certificates where tenant_id = ${acme}`;
		expect(certs).toHaveLength(5);
		for (const c of certs) {
			expect(c).toMatchObject({ status: 'valid', receipt_signature: expect.any(String), log_index: expect.any(String), pdf_object_key: expect.any(String) });
			expect(c.public_id).toMatch(/^wc_[a-z2-7]{26}$/);
			expect(signed.get(c.public_id)).toBe(1);
		}
		const timeline = await p.database.sql`select to_status from proof_events e join proofs p on p.id = e.proof_id where p.public_id = ${good[0].publicId} order by e.id`;
		expect(timeline.map((t) => t.to_status)).toEqual(['RECEIVED', 'VALIDATING', 'CERTIFIED_NO_ANCHOR']);
	});

	it('no licence left: REJECTED licence_exhausted; after a top-up, reprocess certifies it, charged once', async () => {
		expect(await balance()).toBe(1);
		const [a, b] = [await submit(), await submit()];
		await drain();
		const states = [await state(a.publicId), await state(b.publicId)];
		expect(states.map((s) => s.status).sort()).toEqual(['CERTIFIED_NO_ANCHOR', 'REJECTED']);
		const loser = states.find((s) => s.status === 'REJECTED')!;
		expect(loser.rejection_code).toBe('licence_exhausted');
		const loserPublic = loser.id === states[0].id ? a.publicId : b.publicId;
		await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'top_up', amount: 2, reason: 'more' }, admin));
		await p.database.db.transaction((tx) => reprocessProof(tx, p.queue, acme, loserPublic, admin));
		await drain();
		expect((await state(loserPublic)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(loser.id)).toBe(1);
		await expect(p.database.db.transaction((tx) => reprocessProof(tx, p.queue, acme, loserPublic, admin))).rejects.toMatchObject({ code: 'conflict' });
	});

	it('signer down: FAILED_RETRYABLE with a delayed retry job; certified once it is back', async () => {
		faults.down = true;
		const r = await submit();
		await drain();
		const s = await state(r.publicId);
		expect([s.status, s.retries]).toEqual(['FAILED_RETRYABLE', 1]);
		const [job] = await p.database.sql`select start_after > now() + interval '20 seconds' as later from pgboss.job where name = 'proofs.retry' and data->>'proofId' = ${s.id}`;
		expect(job.later).toBe(true);
		faults.down = false;
		expect(await retryProof(p.database.db, p.queue, s.id)).toBe(1);
		await drain();
		expect((await state(r.publicId)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(s.id)).toBe(1);
	});

	it('a claim that ran out is taken over; the first worker can then change nothing', async () => {
		await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'top_up', amount: 10, reason: 'more' }, admin));
		const r = await submit();
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
		expect(late).toHaveLength(0);
		expect(await consumptions(s.id)).toBe(1);
		expect([...signed.values()]).toEqual(expect.arrayContaining([1]));
		expect(Math.max(...signed.values())).toBe(1);
	});

	it('a crash after the licence and certificate row resumes issuance without charging or signing again', async () => {
		const r = await submit();
		// the worker got as far as the decision, then died while signing the receipts
		faults.killNextBatch = true;
		await drain('w3');
		const s = await state(r.publicId);
		expect(s.status).toBe('FAILED_RETRYABLE');
		expect(await consumptions(s.id)).toBe(1);
		await retryProof(p.database.db, p.queue, s.id);
		await drain('w4');
		expect((await state(r.publicId)).status).toBe('CERTIFIED_NO_ANCHOR');
		expect(await consumptions(s.id)).toBe(1);
		const certs = await p.database.sql<{ public_id: string; status: string }[]>`select public_id, status from certificates where proof_id = ${s.id}`;
		expect(certs).toHaveLength(1);
		expect(certs[0].status).toBe('valid');
		expect(signed.get(certs[0].public_id)).toBe(1);
	});
});
