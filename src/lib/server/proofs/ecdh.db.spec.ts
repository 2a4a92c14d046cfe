import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';
import { makeProof, strangerIdentity } from '#lib/agent/sim-proofs';
import type { Container } from '#lib/server/container';
import { grantLicences } from '#lib/server/licences';
import { logOrigin } from '#lib/server/log';
import { parseDer } from '#lib/server/signer/der';
import { createCsr } from '#lib/server/signer/pki';
import { ensureDevTenants } from '#lib/server/tenancy';
import { createLogger } from '#lib/server/telemetry/logger';
import { createPipeline, processBatch, type PipelineContext } from './pipeline';
import { registerProof, storeProof } from './submission';

/**
 * Proofs encrypted to the platform's P-256 certificate (ephemeral-static
 * ECDH, RFC 5753), built by agent-sim's own code, through the real container:
 * database, queue, storage, keyring signer, pipeline and issuance.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let p: Container;
let acme: string;
let ctx: PipelineContext;
let agent: Parameters<typeof makeProof>[1];

beforeAll(async () => {
	env = await startTestContainer({ env: { SIGNER_KEYS: '2' } });
	p = env.app;
	acme = (await ensureDevTenants(p.database.db)).acme;
	const signer = await p.signer();
	const keys = await signer.publicKeys();
	const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await signer.issueAgentCertificate({ tenantId: acme, agentId: 'ecdh-station', name: 'ecdh-station', csrPem: createCsr({ CN: 'ecdh-station' }, key) });
	const spki = new X509Certificate(issued.certificatePem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
	await p.database.sql`insert into agents (tenant_id, name, certificate_serial, certificate_pem, public_key_spki, status)
		values (${acme}, 'ecdh-station', ${issued.serialHex.toLowerCase()}, ${issued.certificatePem}, ${spki}, 'active')`;
	agent = { key, certificate: issued.certificatePem, proofEncryptionCertificate: keys.proofEncryptionCertificatePem, proofEncryptionEcdhCertificate: keys.proofEncryptionEcdhCertificatePem };
	const admin = { actor: { kind: 'user', id: 'admin', role: 'platform_admin' }, correlationId: 't', sourceIp: null };
	await p.database.db.transaction((tx) => grantLicences(tx, p.queue, { tenantId: acme, kind: 'grant', amount: 5, reason: 'test' }, admin));
	ctx = createPipeline({
		db: p.database.db,
		queue: p.queue,
		storage: p.storage,
		log: createLogger('silent'),
		signer: () => p.signer(),
		issuance: { origin: p.config.origin, logOrigin: logOrigin(p.config) },
		settings: { batchSize: 4, claimTimeoutSeconds: 60, retryBaseDelay: 30, retryMaxDelay: 600, retryLimit: 3, anchor: false, notify: false }
	});
});
afterAll(async () => env?.stop());

async function submit(der: Uint8Array): Promise<string> {
	const stored = await storeProof(p.storage, acme, der);
	return (await p.database.db.transaction((tx) => registerProof(tx, p.queue, stored, { source: 'api', submitter: { kind: 'user', id: 'u' } }))).publicId;
}

async function drain(): Promise<void> {
	for (let r = await processBatch(ctx, 'w-ecdh'); r.claimed; r = await processBatch(ctx, 'w-ecdh'));
}

const outcome = async (publicId: string) =>
	(
		await p.database.sql<{ status: string; rejection_code: string | null; certificate: string | null }[]>`
			select p.status, p.rejection_code, c.status as certificate from proofs p left join certificates c on c.proof_id = p.id where p.public_id = ${publicId}`
	)[0];

describe('ECDH proofs end to end', () => {
	it('an agent-sim ECDH proof is certified; a tampered wrapped key or ephemeral key is rejected with proof_decryption_failed', async () => {
		const stranger = strangerIdentity();
		const good = makeProof('good', agent, stranger, 'auth-enveloped', 'ecdh');
		const kari = parseDer(good).children[1].children[0].children[1].children[0];
		expect(kari.id).toBe(0xa1); // [1] KeyAgreeRecipientInfo
		const point = kari.children[1].children[0].children[1];
		const wrapped = kari.children.at(-1)!.children[0].children[1];
		const tamper = (der: Buffer, at: number) => {
			const t = Buffer.from(der);
			t[at] ^= 0x08;
			return t;
		};
		const fresh = () => makeProof('good', agent, stranger, 'auth-enveloped', 'ecdh');
		const ids = {
			good: await submit(good),
			badSignature: await submit(makeProof('bad_signature', agent, stranger, 'auth-enveloped', 'ecdh')),
			wrap: await submit(tamper(fresh(), wrapped.valueStart + 7)),
			ephemeral: await submit(tamper(fresh(), point.valueStart + 30))
		};
		await drain();
		expect(await outcome(ids.good)).toEqual({ status: 'CERTIFIED_NO_ANCHOR', rejection_code: null, certificate: 'valid' });
		expect(await outcome(ids.badSignature)).toMatchObject({ status: 'REJECTED', rejection_code: 'proof_invalid_signature' });
		expect(await outcome(ids.wrap)).toMatchObject({ status: 'REJECTED', rejection_code: 'proof_decryption_failed' });
		expect(await outcome(ids.ephemeral)).toMatchObject({ status: 'REJECTED', rejection_code: 'proof_decryption_failed' });
	});
});
