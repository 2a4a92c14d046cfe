import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyringSigner, type KeyringSigner } from '#lib/server/signer/keyring';
import { buildSignedData, parseContentInfo } from '#lib/server/signer/cms';
import { verifySignedData } from '#lib/server/signer/cms-signed';
import { parseDer } from '#lib/server/signer/der';
import { createCsr, issueCertificate, KeyUsage, pemToDer, spkiDer } from '#lib/server/signer/pki';
import { RemoteSigner } from '#lib/server/signer/remote';
import { freePort } from '../../../../../tests/helpers/app-process';
import { ProofRejection, RetryableFailure, type RejectionCode } from '../rejections';
import { buildProof, envelopeProof, openProof, reportBytes, signReport } from './proof';
import { erasureReport, reportJsonSchema } from '#lib/server/records';
import { sampleReport } from './sample';

const TENANT = '5e0c1f7a-3a1b-4a52-9d7e-111111111111';
let dir: string;
let signer: KeyringSigner;
let other: KeyringSigner;
let agentKey: KeyObject;
let agentCert: string;
let agentCaPem: string;
let encryptionCert: string;
let ecdhCert: string;
let serialHex: string;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-format-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 1, batchSize: 10 });
	other = await createKeyringSigner(join(dir, 'other'), { keys: 1, batchSize: 10 });
	agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const issued = await signer.issueAgentCertificate({ tenantId: TENANT, agentId: 'agent-1', name: 'station 1', csrPem: createCsr({ CN: 'station 1' }, agentKey) });
	agentCert = issued.certificatePem;
	agentCaPem = issued.caCertificatePem;
	serialHex = issued.serialHex;
	encryptionCert = (await signer.publicKeys()).proofEncryptionCertificatePem;
	ecdhCert = (await signer.publicKeys()).proofEncryptionEcdhCertificatePem;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (der: Uint8Array, receivedAt = new Date()) => openProof(der, { signer, agentCaPem, receivedAt });
async function rejection(der: Uint8Array, receivedAt?: Date): Promise<{ code: RejectionCode; detail?: string }> {
	try {
		await open(der, receivedAt);
	} catch (error) {
		if (error instanceof ProofRejection) return { code: error.code, detail: error.detail };
		throw error;
	}
	throw new Error('the proof was accepted');
}

describe('proof format v1', () => {
	it.each(['auth-enveloped', 'enveloped'] as const)('round trip (%s): build → open gives the report, its canonical bytes and the agent certificate serial', async (envelope) => {
		const report = sampleReport({ warningRatio: 1 });
		expect(erasureReport.safeParse(report).success).toBe(true);
		const t0 = performance.now();
		const der = buildProof({ report, agentKey, agentCert, encryptionCert, envelope });
		expect(parseContentInfo(der).contentType).toBe(envelope === 'enveloped' ? '1.2.840.113549.1.7.3' : '1.2.840.113549.1.9.16.1.23');
		const t1 = performance.now();
		const opened = await open(der);
		const t2 = performance.now();
		console.info(`[format] ${envelope} proof of ${der.length} bytes: build ${(t1 - t0).toFixed(1)} ms, open ${(t2 - t1).toFixed(1)} ms`);
		expect(opened.report).toEqual(report);
		expect(Buffer.from(opened.canonicalReport).equals(reportBytes(report))).toBe(true);
		expect(opened.signerSerialHex).toBe(serialHex);
		expect(der[0]).toBe(0x30);
	});

	it('round trip with ECDH: a proof encrypted to the P-256 certificate opens like one to the RSA certificate', async () => {
		const report = sampleReport();
		const der = buildProof({ report, agentKey, agentCert, encryptionCert: ecdhCert });
		const opened = await open(der);
		expect(opened.report).toEqual(report);
		expect(opened.signerSerialHex).toBe(serialHex);
	});

	it('many varied sample reports validate (the generator and the schema agree)', () => {
		const reports = Array.from({ length: 300 }, () => sampleReport());
		for (const r of reports) expect(erasureReport.safeParse(r).error?.issues).toBeUndefined();
		expect(new Set(reports.map((r) => r.device.type)).size).toBeGreaterThanOrEqual(5);
		expect(reports.find((r) => r.result.status === 'erased_with_warnings')).toBeDefined();
	});

	it('the published JSON Schema is the one generated from the zod schema', () => {
		const file = JSON.parse(readFileSync('static/schemas/erasure-report-v1.json', 'utf8'));
		// regenerate: npx tsx scripts/report-schema.ts > static/schemas/erasure-report-v1.json
		expect(file).toEqual(reportJsonSchema());
	});
});

describe('a proof made with the OpenSSL command line alone (RFC 5083 form)', () => {
	const run = (args: string[]) => {
		const r = spawnSync('openssl', args);
		if (r.status !== 0) throw new Error(`openssl ${args[0]} ${args[1]}: ${r.stderr.toString()}`);
	};
	function opensslProof(reportJson: string, opts: { oaep?: boolean } = {}): Buffer {
		const d = mkdtempSync(join(dir, 'ossl-'));
		writeFileSync(join(d, 'agent.key'), agentKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
		writeFileSync(join(d, 'agent.crt'), agentCert);
		writeFileSync(join(d, 'enc.crt'), encryptionCert);
		writeFileSync(join(d, 'report.json'), reportJson);
		run(['cms', '-sign', '-binary', '-nodetach', '-md', 'sha256', '-in', join(d, 'report.json'), '-signer', join(d, 'agent.crt'), '-inkey', join(d, 'agent.key'), '-outform', 'DER', '-out', join(d, 'signed.der')]);
		const keyopts = opts.oaep === false ? [] : ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'];
		run(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', join(d, 'signed.der'), '-recip', join(d, 'enc.crt'), ...keyopts, '-outform', 'DER', '-out', join(d, 'proof.der')]);
		return readFileSync(join(d, 'proof.der'));
	}

	it('`openssl cms -sign -md sha256` then `openssl cms -encrypt -aes-256-gcm` opens like an agent-sim proof', async () => {
		const report = sampleReport();
		const opened = await open(opensslProof(JSON.stringify(report, null, 2)));
		expect(opened.report).toEqual(report);
		expect(opened.signerSerialHex).toBe(serialHex);
		// the duplicate check hashes the canonical form, whatever whitespace the station wrote
		expect(Buffer.from(opened.canonicalReport).equals(reportBytes(report))).toBe(true);
	});

	it('the same command without OAEP (PKCS #1 v1.5 key transport) is refused with the option to add', async () => {
		expect(await rejection(opensslProof(JSON.stringify(sampleReport()), { oaep: false }))).toMatchObject({ code: 'proof_decryption_failed', detail: expect.stringMatching(/rsa_padding_mode:oaep/) });
	});
});

describe('verifySignedData', () => {
	it('reads a ContentInfo(SignedData) and a bare SignedData alike, and hands back the certificate bytes as embedded', () => {
		const content = Buffer.from('{"a":1}');
		const ci = buildSignedData({ content, digest: createHash('sha256').update(content).digest(), signerCertPem: agentCert, key: agentKey });
		const bare = signReport(content, agentKey, agentCert);
		for (const der of [ci, bare]) {
			const v = verifySignedData(der);
			expect(v.content.equals(content)).toBe(true);
			expect(v.signerDer.equals(pemToDer(agentCert, 'CERTIFICATE'))).toBe(true);
		}
	});
});

describe('every tampering is rejected with its code', () => {
	it('bytes that are not a CMS ContentInfo, a truncated proof, and a SignedData that is not enveloped → proof_malformed', async () => {
		expect((await rejection(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]))).code).toBe('proof_malformed');
		const der = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert });
		expect((await rejection(der.subarray(0, der.length - 10))).code).toBe('proof_malformed');
		const signedOnly = buildSignedData({ content: Buffer.from('{}'), digest: createHash('sha256').update('{}').digest(), signerCertPem: agentCert, key: agentKey });
		expect(await rejection(signedOnly)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/neither auth-enveloped-data \(RFC 5083\) nor enveloped-data/) });
		// ContentInfo says enveloped-data but holds something else: only the signer's parse sees it, and it is still malformed
		const envelopedOid = Buffer.from('06092a864886f70d010703', 'hex'); // 1.2.840.113549.1.7.3
		const explicitInteger = Buffer.from('a003020105', 'hex'); // [0] EXPLICIT INTEGER 5
		const notEnveloped = Buffer.concat([Buffer.from([0x30, envelopedOid.length + explicitInteger.length]), envelopedOid, explicitInteger]);
		expect(parseContentInfo(notEnveloped).contentType).toBe('1.2.840.113549.1.7.3');
		expect(await rejection(notEnveloped)).toMatchObject({ code: 'proof_malformed', detail: expect.stringMatching(/EnvelopedData/) });
	});

	it('encrypted to another platform, or a damaged ciphertext → proof_decryption_failed', async () => {
		const foreign = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert: (await other.publicKeys()).proofEncryptionCertificatePem });
		expect((await rejection(foreign)).code).toBe('proof_decryption_failed');
		const der = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert });
		der[der.length - 20] ^= 0x01;
		expect((await rejection(der)).code).toBe('proof_decryption_failed');
	});

	it('ECDH: a changed wrapped key or ephemeral key, or encrypted to another platform’s P-256 key → proof_decryption_failed', async () => {
		const der = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert: ecdhCert });
		const kari = parseDer(der).children[1].children[0].children[1].children[0];
		const point = kari.children[1].children[0].children[1];
		const wrapped = kari.children.at(-1)!.children[0].children[1];
		for (const at of [point.valueStart + 20, wrapped.valueStart + 3]) {
			const tampered = Buffer.from(der);
			tampered[at] ^= 0x40;
			expect((await rejection(tampered)).code).toBe('proof_decryption_failed');
		}
		const foreign = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert: (await other.publicKeys()).proofEncryptionEcdhCertificatePem });
		expect(await rejection(foreign)).toMatchObject({ code: 'proof_decryption_failed', detail: expect.stringMatching(/not encrypted to this platform/) });
	});

	it('content changed after signing, or signed by another key than the embedded certificate → proof_invalid_signature', async () => {
		const signedBytes = reportBytes(sampleReport());
		const changed = reportBytes(sampleReport());
		const swapped = buildSignedData({ content: changed, digest: createHash('sha256').update(signedBytes).digest(), signerCertPem: agentCert, key: agentKey });
		const der = envelopeProof(new Uint8Array(parseContentInfo(swapped).content.toBER(false)), encryptionCert);
		expect(await rejection(der)).toMatchObject({ code: 'proof_invalid_signature', detail: expect.stringMatching(/digest/) });
		const wrongKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		const forged = envelopeProof(signReport(signedBytes, wrongKey, agentCert), encryptionCert);
		expect(await rejection(forged)).toMatchObject({ code: 'proof_invalid_signature', detail: expect.stringMatching(/does not verify/) });
		const notSigned = envelopeProof(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]), encryptionCert);
		expect((await rejection(notSigned)).code).toBe('proof_invalid_signature');
	});

	it('a certificate of another CA, or outside its validity at receipt → agent_certificate_untrusted', async () => {
		const rogueKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		const selfIssued = issueCertificate({
			subject: { CN: 'rogue' },
			spki: spkiDer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
			issuerKey: rogueKey,
			notAfter: new Date(Date.now() + 86400_000),
			keyUsage: [KeyUsage.digitalSignature]
		});
		// the rogue certificate must certify the signing key: issue it for agentKey's public key
		const rogueCert = issueCertificate({ subject: { CN: 'rogue agent' }, spki: spkiDer(createPublicKey(agentKey)), issuerPem: selfIssued.pem, issuerKey: rogueKey, notAfter: new Date(Date.now() + 86400_000), keyUsage: [KeyUsage.digitalSignature] });
		const der = buildProof({ report: sampleReport(), agentKey, agentCert: rogueCert.pem, encryptionCert });
		expect((await rejection(der)).code).toBe('agent_certificate_untrusted');
		const good = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert });
		expect(await rejection(good, new Date(Date.now() + 800 * 86400_000))).toMatchObject({ code: 'agent_certificate_untrusted', detail: expect.stringMatching(/valid/) });
		expect((await rejection(good, new Date(Date.now() - 86400_000))).code).toBe('agent_certificate_untrusted');
	});

	it('a report that breaks the schema → report_schema_invalid with the first problem as detail', async () => {
		const bad = { ...sampleReport(), device: { ...sampleReport().device, type: 'Floppy' } };
		expect(await rejection(buildProof({ report: bad, agentKey, agentCert, encryptionCert }))).toMatchObject({ code: 'report_schema_invalid', detail: expect.stringMatching(/^device\.type: /) });
		const r = sampleReport();
		const backwards = { ...r, endedAt: new Date(Date.parse(r.startedAt) - 1000).toISOString() };
		expect(await rejection(buildProof({ report: backwards, agentKey, agentCert, encryptionCert }))).toMatchObject({ code: 'report_schema_invalid', detail: expect.stringMatching(/^endedAt/) });
		const notJson = envelopeProof(signReport(Buffer.from('not json'), agentKey, agentCert), encryptionCert);
		expect((await rejection(notJson)).code).toBe('report_schema_invalid');
	});

	it('a signer that cannot be reached is a RetryableFailure, not a rejection', async () => {
		const port = await freePort();
		const down = new RemoteSigner({ url: `https://127.0.0.1:${port}`, cert: agentCert, key: agentKey.export({ type: 'pkcs8', format: 'pem' }), ca: agentCaPem, timeoutMs: 2000 });
		const der = buildProof({ report: sampleReport(), agentKey, agentCert, encryptionCert });
		await expect(openProof(der, { signer: down, agentCaPem, receivedAt: new Date() })).rejects.toBeInstanceOf(RetryableFailure);
		await down.close();
	});
});
