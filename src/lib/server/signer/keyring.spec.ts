import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseVerifierKey } from '#lib/server/log/note';
import { buildEnvelopedData } from './cms';
import { createKeyringSigner, type KeyringOptions } from './keyring';
import { createCsr, derToPem, OID, pemToDer } from './pki';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const dirs: string[] = [];
const tempDir = () => {
	const d = mkdtempSync(join(tmpdir(), 'wipecert-keyring-'));
	dirs.push(d);
	return join(d, 'keys');
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const opts = (o: Partial<KeyringOptions> = {}): KeyringOptions => ({ keys: 3, batchSize: 50, noteKeyName: 'wipecert.test/log', ...o });
const records = (n: number, tag = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, bytes: randomBytes(40) }));

describe('keyring on disk', () => {
	it('generates root, signing keys, encryption, HMAC and checkpoint keys with 0700/0600, and reuses them on restart', async () => {
		const dir = tempDir();
		const first = await createKeyringSigner(dir, opts());
		const keys = await first.publicKeys();
		await first.close();
		expect(statSync(dir).mode & 0o777).toBe(0o700);
		const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
		for (const f of files(dir)) expect(statSync(f).mode & 0o777, f).toBe(0o600);
		expect(keys.signing.map((k) => k.keyId)).toEqual(['rk-001', 'rk-002', 'rk-003']);
		const root = new X509Certificate(keys.rootCertificatePem);
		expect(root.ca).toBe(true);
		for (const k of keys.signing) {
			const c = new X509Certificate(k.certificatePem);
			expect(c.verify(root.publicKey)).toBe(true);
			expect(c.checkIssued(root)).toBe(true);
			expect(c.ca).toBe(false);
		}
		const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: keys.signing[0].certificatePem }).toString();
		expect(text).toMatch(/Digital Signature, Non Repudiation/);
		const enc = new X509Certificate(keys.proofEncryptionCertificatePem);
		expect(enc.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
		expect(enc.verify(root.publicKey)).toBe(true);
		// C2SP verifier key: name+hash+base64(0x01‖key), with a key hash that checks out
		expect(parseVerifierKey(keys.logVerifierKey)?.name).toBe('wipecert.test/log');

		const again = await createKeyringSigner(dir, opts({ keys: 5, noteKeyName: 'other.name/log' }));
		const keys2 = await again.publicKeys();
		expect(keys2.rootCertificatePem).toBe(keys.rootCertificatePem);
		expect(keys2.proofEncryptionCertificatePem).toBe(keys.proofEncryptionCertificatePem);
		expect(keys2.logVerifierKey).toBe(keys.logVerifierKey); // the name is fixed at generation
		expect(keys2.signing.slice(0, 3)).toEqual(keys.signing);
		expect(keys2.signing.map((k) => k.keyId)).toEqual(['rk-001', 'rk-002', 'rk-003', 'rk-004', 'rk-005']);
		const data = randomBytes(20);
		expect(await again.hmac(data)).toBe(await (await createKeyringSigner(dir, opts())).hmac(data));
		await again.close();
	});

	it('two processes starting on one fresh directory create one root (generation under a lock)', async () => {
		const dir = tempDir();
		const [a, b] = await Promise.all([createKeyringSigner(dir, opts({ keys: 2 })), createKeyringSigner(dir, opts({ keys: 2 }))]);
		expect((await a.publicKeys()).rootCertificatePem).toBe((await b.publicKeys()).rootCertificatePem);
		expect((await a.publicKeys()).signing).toEqual((await b.publicKeys()).signing);
	});

	it('SIGNER_KEY_PASSPHRASE encrypts the private keys at rest; without it they do not load', async () => {
		const dir = tempDir();
		const passphrase = 'correct horse battery staple';
		const s = await createKeyringSigner(dir, opts({ keys: 1, passphrase }));
		const mac = await s.hmac(Buffer.from('x'));
		expect(readFileSync(join(dir, 'signing', 'rk-001.key.pem'), 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
		expect(readFileSync(join(dir, 'hmac.key'), 'utf8')).toContain('"salt"');
		await expect(createKeyringSigner(dir, opts({ keys: 1 }))).rejects.toThrow(/SIGNER_KEY_PASSPHRASE/);
		expect(await (await createKeyringSigner(dir, opts({ keys: 1, passphrase }))).hmac(Buffer.from('x'))).toBe(mac);
	});
});

describe('keyring rules (one key per batch, never two batches, LRU)', () => {
	it('signs a whole batch with one key; every signature verifies with that key’s certificate; larger batches are refused', async () => {
		const s = await createKeyringSigner(tempDir(), opts({ batchSize: 10 }));
		const batch = records(10);
		const r = await s.signBatch(batch);
		expect(r.algorithm).toBe('ECDSA-P256-SHA256');
		const cert = new X509Certificate((await s.publicKeys()).signing.find((k) => k.keyId === r.keyId)!.certificatePem);
		for (const rec of batch) expect(verify('sha256', rec.bytes, cert.publicKey, Buffer.from(r.signatures.get(rec.id)!, 'base64'))).toBe(true);
		await expect(s.signBatch(records(11))).rejects.toThrow(/at most 10/);
		await expect(s.signBatch([])).rejects.toThrow();
	});

	it('takes keys least recently used first, and keeps that order across a restart', async () => {
		const dir = tempDir();
		const s = await createKeyringSigner(dir, opts());
		const used: string[] = [];
		for (let i = 0; i < 4; i++) used.push((await s.signBatch(records(2))).keyId);
		expect(used).toEqual(['rk-001', 'rk-002', 'rk-003', 'rk-001']);
		await s.close();
		const t = await createKeyringSigner(dir, opts());
		expect((await t.signBatch(records(1))).keyId).toBe('rk-002');
		expect((await t.keyUsage()).map((u) => [u.keyId, u.batches])).toEqual([
			['rk-001', 2],
			['rk-002', 2],
			['rk-003', 1]
		]);
	});

	it('never lets two batches hold one key: 60 concurrent batches on 4 keys', async () => {
		const held = new Map<string, number>();
		const events: string[] = [];
		let overlap = 0;
		let maxConcurrent = 0;
		const s = await createKeyringSigner(tempDir(), {
			...opts({ keys: 4, batchSize: 200 }),
			onLease: (e) => {
				events.push(`${e.type}:${e.keyId}:${e.batch}`);
				if (e.type === 'acquire') {
					if (held.has(e.keyId)) overlap++;
					held.set(e.keyId, e.batch);
				} else held.delete(e.keyId);
				maxConcurrent = Math.max(maxConcurrent, held.size);
			}
		});
		const results = await Promise.all(Array.from({ length: 60 }, (_, i) => s.signBatch(records(200, `b${i}`))));
		expect(overlap).toBe(0);
		expect(maxConcurrent).toBe(4); // the batches did run side by side, on different keys
		expect(results.filter((r) => r.signatures.size !== 200)).toEqual([]);
		const usage = await s.keyUsage();
		expect(usage.reduce((n, u) => n + u.batches, 0)).toBe(60);
		expect(events.filter((e) => e.startsWith('acquire')).length).toBe(60);
	});
});

describe('signer operations', () => {
	it('decrypts an EnvelopedData (RSA-OAEP, AES-256-GCM) addressed to the proof-encryption certificate; refuses others', async () => {
		const s = await createKeyringSigner(tempDir(), opts({ keys: 1 }));
		const other = await createKeyringSigner(tempDir(), opts({ keys: 1 }));
		const content = randomBytes(3000);
		const env = buildEnvelopedData(content, OID.signedData, (await s.publicKeys()).proofEncryptionCertificatePem);
		expect(Buffer.from(await s.decryptEnvelope(env)).equals(content)).toBe(true);
		await expect(other.decryptEnvelope(env)).rejects.toThrow(/not encrypted to this platform/);
		const damaged = Buffer.from(env);
		damaged[damaged.length - 5] ^= 1;
		await expect(s.decryptEnvelope(damaged)).rejects.toThrow(/does not authenticate/);
	});

	it('signPdfDigest: a detached CMS SignedData that openssl verifies against the platform root, with signing-certificate-v2', async () => {
		const dir = tempDir();
		const s = await createKeyringSigner(dir, opts({ keys: 2 }));
		const pdfRange = randomBytes(5000);
		const { keyId, cms } = await s.signPdfDigest(createHash('sha256').update(pdfRange).digest());
		expect(keyId).toMatch(/^rk-00[12]$/);
		const work = mkdtempSync(join(tmpdir(), 'wipecert-pades-'));
		dirs.push(work);
		writeFileSync(join(work, 'sig.der'), cms);
		writeFileSync(join(work, 'data.bin'), pdfRange);
		writeFileSync(join(work, 'root.pem'), (await s.publicKeys()).rootCertificatePem);
		const out = execFileSync(
			'openssl',
			['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, 'sig.der'), '-content', join(work, 'data.bin'), '-CAfile', join(work, 'root.pem'), '-purpose', 'any', '-out', '/dev/null'],
			{ stdio: ['ignore', 'pipe', 'pipe'] }
		);
		expect(out).toBeDefined();
		const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(work, 'sig.der')]).toString();
		for (const attr of ['contentType', 'messageDigest', 'signingTime', 'id-smime-aa-signingCertificateV2']) expect(printed).toContain(attr);
		// another range does not verify
		writeFileSync(join(work, 'data.bin'), randomBytes(5000));
		expect(() =>
			execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, 'sig.der'), '-content', join(work, 'data.bin'), '-CAfile', join(work, 'root.pem'), '-purpose', 'any'], {
				stdio: 'pipe'
			})
		).toThrow();
	});

	it('signPdfDigests: the PDFs of a batch under one key lease, each CMS openssl-verifying its own range', async () => {
		const events: string[] = [];
		const s = await createKeyringSigner(tempDir(), { ...opts({ keys: 3 }), onLease: (e) => events.push(`${e.type}:${e.keyId}`) });
		const ranges = Array.from({ length: 5 }, () => randomBytes(3000));
		const { keyId, cms } = await s.signPdfDigests(ranges.map((r) => createHash('sha256').update(r).digest()));
		expect(events).toEqual([`acquire:${keyId}`, `release:${keyId}`]);
		expect(cms).toHaveLength(5);
		const work = mkdtempSync(join(tmpdir(), 'wipecert-pades-'));
		dirs.push(work);
		writeFileSync(join(work, 'root.pem'), (await s.publicKeys()).rootCertificatePem);
		const verifies = (sig: Uint8Array, data: Uint8Array) => {
			writeFileSync(join(work, 'sig.der'), sig);
			writeFileSync(join(work, 'data.bin'), data);
			try {
				execFileSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(work, 'sig.der'), '-content', join(work, 'data.bin'), '-CAfile', join(work, 'root.pem'), '-purpose', 'any', '-out', '/dev/null'], { stdio: 'pipe' });
				return true;
			} catch {
				return false;
			}
		};
		for (const [i, r] of ranges.entries()) expect(verifies(cms[i], r), `PDF ${i}`).toBe(true);
		expect(verifies(cms[0], ranges[1])).toBe(false);
		expect((await s.keyUsage()).reduce((n, u) => n + u.batches, 0)).toBe(1);
	});

	it('signNote: Ed25519 over the note body with the published verifier key', async () => {
		const s = await createKeyringSigner(tempDir(), opts({ keys: 1 }));
		const body = 'wipecert.test/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
		const sig = await s.signNote(body);
		const vkey = parseVerifierKey((await s.publicKeys()).logVerifierKey)!;
		expect(sig.keyName).toBe(vkey.name);
		expect(Buffer.from(sig.keyHash).equals(Buffer.from(vkey.keyHash))).toBe(true);
		const pub = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), vkey.publicKey]), format: 'der', type: 'spki' });
		expect(verify(null, Buffer.from(body), pub, sig.signature)).toBe(true);
	});

	it('issues agent certificates from a per-tenant agent CA (created once, chained to the root); refuses a CSR of another key', async () => {
		const s = await createKeyringSigner(tempDir(), opts({ keys: 1, agentCertificateDays: 30 }));
		const tenant = '0b9c4f2e-7a51-4c39-9f3e-2d1f6f0f1a11';
		const agentKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		const csr = createCsr({ CN: 'wipe-station-7' }, agentKey);
		const issued = await s.issueAgentCertificate({ tenantId: tenant, agentId: 'a1', name: 'wipe-station-7', csrPem: csr });
		const cert = new X509Certificate(issued.certificatePem);
		const ca = new X509Certificate(issued.caCertificatePem);
		const root = new X509Certificate((await s.publicKeys()).rootCertificatePem);
		expect(cert.verify(ca.publicKey)).toBe(true);
		expect(ca.verify(root.publicKey)).toBe(true);
		expect(cert.serialNumber.toLowerCase()).toBe(issued.serialHex);
		expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(agentKey).export({ type: 'spki', format: 'der' }))).toBe(true);
		expect(Math.round((issued.notAfter.getTime() - Date.now()) / 86400_000)).toBe(30);
		expect(await s.agentCaCertificate(tenant)).toBe(issued.caCertificatePem);
		expect(await s.agentCaCertificate('another-tenant')).not.toBe(issued.caCertificatePem);
		// a CSR whose signature was made by another key proves nothing
		const parsed = pkijs.CertificationRequest.fromBER(new Uint8Array(pemToDer(createCsr({ CN: "x" }, agentKey))));
		const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
		parsed.signatureValue = new asn1js.BitString({ valueHex: new Uint8Array(sign("sha256", parsed.tbsView, otherKey)) });
		const forged = derToPem(Buffer.from(parsed.toSchema().toBER(false)), 'CERTIFICATE REQUEST');
		await expect(s.issueAgentCertificate({ tenantId: tenant, agentId: 'a2', name: 'x', csrPem: forged })).rejects.toThrow(/CSR/);
		await expect(s.issueAgentCertificate({ tenantId: tenant, agentId: 'a3', name: 'x', csrPem: 'not a csr' })).rejects.toThrow(/PKCS#10/);
	});
});

describe('chain key (anchor transactions)', () => {
	it('signs EIP-1559 and legacy transactions whose sender recovers to chainAddress, deterministically, and keeps the key across restarts', async () => {
		const { recoverTransactionAddress, parseTransaction } = await import('viem');
		const dir = tempDir();
		const k = await createKeyringSigner(dir, opts({ keys: 1 }));
		const address = await k.chainAddress();
		expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
		const tx = { chainId: 1337, nonce: 7, to: '0x00000000000000000000000000000000000000aa' as const, data: '0x1234' as const, gas: 60_000n, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
		const signed = await k.signTransaction(tx);
		expect(signed.from).toBe(address);
		expect(await recoverTransactionAddress({ serializedTransaction: signed.raw as `0x02${string}` })).toBe(address);
		expect(parseTransaction(signed.raw)).toMatchObject({ chainId: 1337, nonce: 7, to: tx.to, gas: 60_000n, type: 'eip1559' });
		// RFC 6979: a re-sign after a crash yields the same bytes and hash, never a second transaction
		expect(await k.signTransaction(tx)).toEqual(signed);
		const legacy = await k.signTransaction({ chainId: 296, nonce: 0, to: null, data: '0x6000', gas: 100_000n, gasPrice: 10n ** 12n });
		expect(parseTransaction(legacy.raw)).toMatchObject({ type: 'legacy', chainId: 296, gasPrice: 10n ** 12n });
		await k.close();
		const again = await createKeyringSigner(dir, opts({ keys: 1 }));
		expect(await again.chainAddress()).toBe(address);
		await again.close();
	});

	it('refuses malformed transactions before signing', async () => {
		const k = await createKeyringSigner(tempDir(), opts({ keys: 1 }));
		const base = { chainId: 1, nonce: 0, to: null, data: '0x' as const, gas: 21_000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n };
		await expect(k.signTransaction({ ...base, to: '0x1234' as `0x${string}` })).rejects.toThrow(/20-byte address/);
		await expect(k.signTransaction({ ...base, data: '0x123' as `0x${string}` })).rejects.toThrow(/whole bytes/);
		await expect(k.signTransaction({ ...base, nonce: -1 })).rejects.toThrow(/nonce/);
		await expect(k.signTransaction({ ...base, maxPriorityFeePerGas: 3n })).rejects.toThrow(/must not exceed/);
		await k.close();
	});
});
