import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proofWorker } from '../../../jobs/proof';
import { retry } from '../../../jobs/retry';
import { startTestContainer } from '../../../../tests/helpers/container';
import { createEnrolmentToken, enrolAgent } from '#lib/server/agents';
import { agentCertificateIssuer } from '#lib/server/agents/issuer';
import type { Container } from '#lib/server/container';
import { grantLicences, licenceAlertsOf } from '#lib/server/licences';
import { createCsr } from '#lib/server/signer/pki';
import { createTenant } from '#lib/server/tenancy';
import { buildProof } from './format';
import { sampleReport } from './format/sample';
import { registerProof, storeProof } from './submission';

/**
 * Licence automation on the real container with the real proof and retry
 * workers (pg-boss, keyring signer, object storage) and real proofs from an
 * agent of the tenant's CA: proofs refused for want of a licence are
 * re-tested after a top-up, in arrival order and as many as it pays for;
 * proofs signed by an agent not enrolled yet are re-tested once it enrols.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let app: Container;
let tenantId: string;
let encryptionCert: string;
const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 'retest-test', sourceIp: null };
type Station = { key: KeyObject; cert: string; serial: string };

async function station(name: string, register: boolean): Promise<Station> {
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await (await app.signer()).issueAgentCertificate({ tenantId, agentId: name, name, csrPem: createCsr({ CN: name }, key) });
	if (register) {
		const spki = new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
		await app.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki) values (${tenantId}, ${name}, ${issued.serialHex.toLowerCase()}, ${issued.certificatePem}, ${spki})`;
	}
	return { key, cert: issued.certificatePem, serial: issued.serialHex.toLowerCase() };
}

/** One proof after another, so their arrival order is their submission order. */
async function submit(from: Station, n: number): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < n; i++) {
		const der = buildProof({ report: sampleReport({ warningRatio: 0 }), agentKey: from.key, agentCert: from.cert, encryptionCert });
		const stored = await storeProof(app.storage, tenantId, der);
		ids.push((await app.database.db.transaction((tx) => registerProof(tx, app.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }))).publicId);
	}
	return ids;
}

type Row = { public_id: string; status: string; rejection_code: string | null; id: string };
const states = async (ids: string[]) => {
	const rows = await app.database.sql<Row[]>`select id, public_id, status, rejection_code from proofs where public_id = any(${ids}) order by received_at, id`;
	return rows;
};

/** Waits until none of the proofs is on its way (RECEIVED, VALIDATING) and `done` holds. */
async function settle(ids: string[], done: (rows: Row[]) => boolean, seconds = 240): Promise<Row[]> {
	const deadline = Date.now() + seconds * 1000;
	for (;;) {
		const rows = await states(ids);
		if (rows.every((r) => r.status !== 'RECEIVED' && r.status !== 'VALIDATING') && done(rows)) return rows;
		if (Date.now() > deadline) throw new Error(`proofs did not settle: ${JSON.stringify(rows.reduce<Record<string, number>>((a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + 1 }), {}))}`);
		await new Promise((r) => setTimeout(r, 300));
	}
}

const certified = (rows: Row[]) => rows.filter((r) => r.status === 'CERTIFIED_NO_ANCHOR');

beforeAll(async () => {
	env = await startTestContainer({ env: { SIGNER_KEYS: '4', SIGNER_BATCH_SIZE: '10', WORKER_CONCURRENCY: '1' }, workers: [retry, proofWorker] });
	app = env.app;
	tenantId = (await app.database.db.transaction((tx) => createTenant(tx, { slug: 'pay-as-you-go', name: 'Pay As You Go' }, admin))).id;
	encryptionCert = (await (await app.signer()).publicKeys()).proofEncryptionCertificatePem;
});
afterAll(async () => env?.stop());

describe('licence_exhausted proofs after a top-up', () => {
	let ids: string[];

	it('with no licence, 100 proofs are rejected licence_exhausted', async () => {
		const bench = await station('bench', true);
		ids = await submit(bench, 100);
		const rows = await settle(ids, (r) => r.every((x) => x.status === 'REJECTED'));
		expect(rows.map((r) => r.rejection_code)).toEqual(Array(100).fill('licence_exhausted'));
	});

	it('a top-up of 60 certifies exactly the 60 that arrived first, charged once each; 40 stay rejected', async () => {
		await app.database.db.transaction((tx) => grantLicences(tx, app.queue, { tenantId, kind: 'top_up', amount: 60, reason: 'monthly pack' }, admin));
		const rows = await settle(ids, (r) => certified(r).length === 60);
		expect(rows.map((r) => r.public_id)).toEqual(ids);
		expect(rows.slice(0, 60).map((r) => r.status)).toEqual(Array(60).fill('CERTIFIED_NO_ANCHOR'));
		expect(rows.slice(60).map((r) => [r.status, r.rejection_code])).toEqual(Array(40).fill(['REJECTED', 'licence_exhausted']));
		const charges = await app.database.sql<{ proof_id: string; n: number }[]>`
			select proof_id, count(*)::int as n from licence_ledger where tenant_id = ${tenantId} and kind = 'consumption' group by proof_id`;
		expect(charges).toHaveLength(60);
		expect(charges.every((c) => c.n === 1)).toBe(true);
		expect(new Set(charges.map((c) => c.proof_id))).toEqual(new Set(rows.slice(0, 60).map((r) => r.id)));
		const [bal] = await app.database.sql`select balance_after from licence_ledger where tenant_id = ${tenantId} order by id desc limit 1`;
		expect(bal.balance_after).toBe(0);
		expect(await app.database.sql`select count(*)::int as n from certificates where tenant_id = ${tenantId}`).toEqual([{ n: 60 }]);
	});

	it('each re-test is on the proof’s timeline; the proofs left waiting were not re-tested', async () => {
		const timeline = await app.database.sql<{ public_id: string; steps: string[]; detail: string | null }[]>`
			select p.public_id, array_agg(e.to_status order by e.id) as steps,
				(array_agg(e.detail order by e.id) filter (where e.from_status = 'REJECTED'))[1] as detail
			from proofs p join proof_events e on e.proof_id = p.id where p.public_id = any(${ids}) group by p.id, p.public_id, p.received_at order by p.received_at, p.id`;
		for (const t of timeline.slice(0, 60)) {
			expect(t.steps).toEqual(['RECEIVED', 'VALIDATING', 'REJECTED', 'RECEIVED', 'VALIDATING', 'CERTIFIED_NO_ANCHOR']);
			expect(t.detail).toMatch(/^re-tested after licences were added \(ledger row \d+\)$/);
		}
		for (const t of timeline.slice(60)) expect(t.steps).toEqual(['RECEIVED', 'VALIDATING', 'REJECTED']);
	});

	it('raised licences.low and licences.exhausted once each on the way down from 60', async () => {
		const alerts = await licenceAlertsOf(app.database.db, tenantId);
		expect(alerts.map((a) => a.kind).sort()).toEqual(['exhausted', 'low']);
		// each keyed by the ledger row that crossed: the batch that took the balance below 50, and the one that took it to 0
		for (const a of alerts) {
			const [row] = await app.database.sql`select balance_after from licence_ledger where id = ${a.ledgerEntryId}`;
			expect(row.balance_after).toBe(a.balance);
		}
		const low = alerts.find((a) => a.kind === 'low')!;
		expect(low.threshold).toBe(50);
		expect(low.balance).toBeLessThan(50);
		// the booking before the crossing batch (an earlier transaction) left the balance at or above the threshold
		const [before] = await app.database.sql`select balance_after from licence_ledger where tenant_id = ${tenantId}
			and created_at < (select created_at from licence_ledger where id = ${low.ledgerEntryId}) order by id desc limit 1`;
		expect(before.balance_after).toBeGreaterThanOrEqual(50);
		expect(alerts.find((a) => a.kind === 'exhausted')).toMatchObject({ balance: 0, threshold: null });
		const events = await app.database.sql<{ type: string }[]>`select type from tenant_events where tenant_id = ${tenantId} and type like 'licences.%' order by id`;
		expect(events.map((e) => e.type)).toEqual(['licences.low', 'licences.exhausted']);
	});

	it('the next top-up takes the next proofs in arrival order, never one twice', async () => {
		await app.database.db.transaction((tx) => grantLicences(tx, app.queue, { tenantId, kind: 'top_up', amount: 10, reason: 'a few more' }, admin));
		const rows = await settle(ids, (r) => certified(r).length === 70);
		expect(rows.slice(0, 70).every((r) => r.status === 'CERTIFIED_NO_ANCHOR')).toBe(true);
		expect(rows.slice(70).every((r) => r.rejection_code === 'licence_exhausted')).toBe(true);
		const [{ charged, proofs }] = await app.database.sql`
			select count(*)::int as charged, count(distinct proof_id)::int as proofs from licence_ledger where tenant_id = ${tenantId} and kind = 'consumption'`;
		expect([charged, proofs]).toEqual([70, 70]);
		// one more crossing to zero, one more alert: once per crossing
		expect((await licenceAlertsOf(app.database.db, tenantId)).filter((a) => a.kind === 'exhausted')).toHaveLength(2);
	});
});

describe('agent_unknown proofs after the agent enrols', () => {
	it('are re-tested and certified once an agent with their certificate enrols', async () => {
		await app.database.db.transaction((tx) => grantLicences(tx, app.queue, { tenantId, kind: 'top_up', amount: 40, reason: 'for the rest' }, admin));
		const late = await station('late-enrolment', false);
		const ids = await submit(late, 2);
		const rejected = await settle(ids, (r) => r.every((x) => x.status === 'REJECTED'));
		expect(rejected.map((r) => r.rejection_code)).toEqual(['agent_unknown', 'agent_unknown']);
		const token = await app.database.db.transaction((tx) => createEnrolmentToken(tx, tenantId, { name: 'late-enrolment' }, { ...admin, createdBy: { kind: 'user', id: 'admin' } }, 3600));
		// the CA issued this agent's certificate before its enrolment was recorded: the enrolment hands that certificate over
		const spki = new Uint8Array(new X509Certificate(late.cert).publicKey.export({ type: 'spki', format: 'der' }));
		const caPem = await (await app.signer()).agentCaCertificate(tenantId);
		await enrolAgent(app.database.db, app.queue, token.token, createCsr({ CN: 'late-enrolment' }, late.key), async () => ({ certificatePem: late.cert, serialHex: late.serial, caChainPem: [caPem], publicKeySpki: spki }), { correlationId: 'enrol', sourceIp: null });
		const rows = await settle(ids, (r) => r.every((x) => x.status === 'CERTIFIED_NO_ANCHOR'));
		expect(rows).toHaveLength(2);
		const [entry] = await app.database.sql`select detail from proof_events e join proofs p on p.id = e.proof_id where p.public_id = ${ids[0]} and e.from_status = 'REJECTED'`;
		expect(entry.detail).toBe(`re-tested after the agent with certificate serial ${late.serial} enrolled`);
	});

	it('an enrolment of another agent re-tests nothing', async () => {
		const stranger = await station('stranger', false);
		const [id] = await submit(stranger, 1);
		await settle([id], (r) => r[0].status === 'REJECTED');
		const token = await app.database.db.transaction((tx) => createEnrolmentToken(tx, tenantId, { name: 'other' }, { ...admin, createdBy: { kind: 'user', id: 'admin' } }, 3600));
		const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		await enrolAgent(app.database.db, app.queue, token.token, createCsr({ CN: 'other' }, key), agentCertificateIssuer(app.signer), { correlationId: 'enrol-2', sourceIp: null });
		// the retry worker took the enrolment's job
		const deadline = Date.now() + 30_000;
		while ((await app.database.sql`select count(*)::int as n from pgboss.job where name = 'proofs.retry' and data ? 'agentEnrolled' and state <> 'completed'`)[0].n > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
		const [row] = await states([id]);
		expect([row.status, row.rejection_code]).toEqual(['REJECTED', 'agent_unknown']);
		const timeline = await app.database.sql`select to_status from proof_events where proof_id = ${row.id} order by id`;
		expect(timeline.map((t) => t.to_status)).toEqual(['RECEIVED', 'VALIDATING', 'REJECTED']);
	});
});
