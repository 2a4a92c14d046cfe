import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuthEnvelopedData } from './cms-auth-enveloped';
import { decryptProofEnvelope, type DecryptionKey } from './cms-decrypt';
import { readProofEnvelope } from './cms-envelope';
import { parseDer } from './der';
import { issueCertificate, KeyUsage, OID, spkiDer } from './pki';

/**
 * Ephemeral-static ECDH (RFC 5753) against the system's OpenSSL: what
 * `openssl cms -encrypt -aes-256-gcm -keyopt ecdh_kdf_md:sha256` writes to a
 * P-256 certificate decrypts here, what we write `openssl cms -decrypt` reads,
 * and OpenSSL's SHA-1 KDF default is refused by name.
 */
let dir: string;
let ec: DecryptionKey;
let rsa: DecryptionKey;
let otherEc: DecryptionKey;

function recipient(kind: 'ec' | 'rsa', cn: string): DecryptionKey {
	const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
	const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
	const ca = issueCertificate({ subject: { CN: `${cn} CA` }, spki: spkiDer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), issuerKey: issuer, notAfter: new Date(Date.now() + 86400_000), ca: {}, keyUsage: [KeyUsage.keyCertSign] });
	const cert = issueCertificate({ subject: { CN: cn }, spki: spkiDer(pair.publicKey), issuerPem: ca.pem, issuerKey: issuer, notAfter: new Date(Date.now() + 86400_000), keyUsage: [kind === 'ec' ? KeyUsage.keyAgreement : KeyUsage.keyEncipherment] });
	return { certPem: cert.pem, key: pair.privateKey };
}

function openssl(args: string[]): Buffer {
	const r = spawnSync('openssl', args, { maxBuffer: 16 << 20 });
	if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr.toString()}`);
	return r.stdout;
}

function opensslEncrypt(content: Uint8Array, extra: string[]): Buffer {
	const input = join(dir, `in-${randomBytes(4).toString('hex')}`);
	writeFileSync(input, content);
	return openssl(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', input, '-outform', 'DER', '-recip', join(dir, 'ec.crt'), ...extra]);
}

/** The KeyAgreeRecipientInfo's parts as offsets: the ephemeral point and the wrapped key. */
function kariOffsets(der: Buffer): { point: number; wrapped: number } {
	const aed = parseDer(der).children[1].children[0];
	const kari = aed.children[1].children[0];
	const originatorKey = kari.children[1].children[0];
	const bitString = originatorKey.children[1];
	const rek = kari.children.at(-1)!.children[0];
	return { point: bitString.valueStart + 1 + 33, wrapped: rek.children[1].valueStart + 5 };
}

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-ecdh-'));
	ec = recipient('ec', 'proof encryption ECDH');
	rsa = recipient('rsa', 'proof encryption RSA');
	otherEc = recipient('ec', 'another platform');
	writeFileSync(join(dir, 'ec.crt'), ec.certPem);
	writeFileSync(join(dir, 'ec.key'), ec.key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('KeyAgreeRecipientInfo, ephemeral-static ECDH P-256 (RFC 5753)', () => {
	it('what we write: version 3, an originatorKey, dhSinglePass-stdDH-sha256kdf-scheme with id-aes256-wrap; it opens beside an RSA key', () => {
		const content = randomBytes(900);
		const der = buildAuthEnvelopedData(content, ec.certPem);
		const env = readProofEnvelope(der);
		const kari = env.recipients[0];
		if (kari.type !== 'kari') throw new Error(`expected kari, got ${kari.type}`);
		expect(kari.alg.oid).toBe(OID.ecdhStdSha256Kdf);
		expect(kari.originator?.alg.oid).toBe(OID.ecPublicKey);
		expect(kari.originator?.publicKey.length).toBe(65);
		expect(kari.recipients[0].encryptedKey.length).toBe(40); // RFC 3394: 32-byte key + 8-byte integrity block
		expect(decryptProofEnvelope(der, [rsa, ec]).content.equals(content)).toBe(true);
		// a fresh ephemeral key per message: two envelopes of the same content share no key material
		expect(readProofEnvelope(buildAuthEnvelopedData(content, ec.certPem)).recipients[0]).not.toEqual(kari);
	});

	it('OpenSSL reads what we write', () => {
		const content = randomBytes(1500);
		const file = join(dir, 'ours.der');
		writeFileSync(file, buildAuthEnvelopedData(content, ec.certPem));
		expect(openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file, '-inkey', join(dir, 'ec.key'), '-recip', join(dir, 'ec.crt')]).equals(content)).toBe(true);
	});

	it('we read what `openssl cms -encrypt -keyopt ecdh_kdf_md:sha256` writes, and refuse its SHA-1 KDF default by name', () => {
		const content = randomBytes(700);
		expect(decryptProofEnvelope(opensslEncrypt(content, ['-keyopt', 'ecdh_kdf_md:sha256']), [ec]).content.equals(content)).toBe(true);
		expect(() => decryptProofEnvelope(opensslEncrypt(content, []), [ec])).toThrow(/SHA-1 KDF.*ecdh_kdf_md:sha256/);
	});

	it('a changed wrapped key, a changed ephemeral key, another recipient: refused', () => {
		const der = buildAuthEnvelopedData(randomBytes(300), ec.certPem);
		const at = kariOffsets(der);
		const wrap = Buffer.from(der);
		wrap[at.wrapped] ^= 0x01;
		expect(() => decryptProofEnvelope(wrap, [ec])).toThrow(/does not unwrap/);
		const point = Buffer.from(der);
		point[at.point] ^= 0x01;
		expect(() => decryptProofEnvelope(point, [ec])).toThrow(/not a point on P-256|does not unwrap/);
		expect(() => decryptProofEnvelope(der, [otherEc, rsa])).toThrow(/not encrypted to this platform/);
	});
});
