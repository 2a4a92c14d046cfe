import { spawnSync } from 'node:child_process';
import { createCipheriv, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, constants } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelopedData, parseContentInfo, toAb } from './cms';
import { buildAuthEnvelopedData } from './cms-auth-enveloped';
import { decryptProofEnvelope, type DecryptionKey } from './cms-decrypt';
import { readProofEnvelope } from './cms-envelope';
import { issueCertificate, KeyUsage, OID, parseCertificatePem, spkiDer } from './pki';

/**
 * RFC 5083 AuthEnvelopedData against the system's OpenSSL (3.0 or later): what
 * `openssl cms -encrypt -aes-256-gcm` writes decrypts here, what we write
 * `openssl cms -decrypt` reads, and the key transports OpenSSL offers that we
 * refuse are refused by name.
 */
let dir: string;
let recipient: DecryptionKey;
let other: DecryptionKey;
const certFile = () => join(dir, 'enc.crt');

function rsaRecipient(cn: string): DecryptionKey & { keyPem: string } {
	const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const cert = issueCertificate({ subject: { CN: cn }, spki: spkiDer(publicKey), issuerKey: privateKey, notAfter: new Date(Date.now() + 86400_000), keyUsage: [KeyUsage.keyEncipherment] });
	return { certPem: cert.pem, key: privateKey, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function openssl(args: string[], input?: Uint8Array): Buffer {
	const r = spawnSync('openssl', args, { input, maxBuffer: 16 << 20 });
	if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr.toString()}`);
	return r.stdout;
}

/** `openssl cms -encrypt -aes-256-gcm` of `content` to the recipient certificate, with extra options. */
function opensslEncrypt(content: Uint8Array, extra: string[]): Buffer {
	const input = join(dir, `in-${randomBytes(4).toString('hex')}`);
	writeFileSync(input, content);
	return openssl(['cms', '-encrypt', '-binary', '-aes-256-gcm', '-in', input, '-outform', 'DER', '-recip', certFile(), ...extra]);
}

const OAEP = ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'];
let keyPem: string;

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-authenv-'));
	const r = rsaRecipient('proof encryption');
	recipient = r;
	keyPem = r.keyPem;
	other = rsaRecipient('another platform');
	writeFileSync(certFile(), recipient.certPem);
	writeFileSync(join(dir, 'enc.key'), keyPem, { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RFC 5083 AuthEnvelopedData with AES-256-GCM', () => {
	it('the system openssl is 3.x (the version that writes AuthEnvelopedData for AEAD ciphers)', () => {
		const version = openssl(['version']).toString();
		console.info(`[cms] ${version.trim()}`);
		expect(version).toMatch(/^OpenSSL 3\./);
	});

	it('reads what `openssl cms -encrypt -aes-256-gcm` writes: the DER layout, then the content', () => {
		const content = randomBytes(700);
		const der = opensslEncrypt(content, OAEP);
		const env = readProofEnvelope(der);
		expect(parseContentInfo(der).contentType).toBe(OID.authEnvelopedData);
		expect(env.form).toBe('auth-enveloped');
		expect(env.contentType).toBe(OID.data);
		expect(env.contentAlg.oid).toBe(OID.aes256Gcm);
		expect(env.mac?.length).toBe(16);
		expect(env.aad).toBeNull();
		const ktri = env.recipients[0];
		expect(ktri.type === 'ktri' && ktri.alg.oid).toBe(OID.rsaesOaep);
		// encrypted content is the bare ciphertext: the tag lives only in `mac`
		expect(env.encrypted?.length).toBe(content.length);
		expect(decryptProofEnvelope(der, [recipient]).content.equals(content)).toBe(true);
		expect(decryptProofEnvelope(der, [other, recipient]).content.equals(content)).toBe(true);
	});

	it('OpenSSL reads what we write (and our rsa_oaep_md default, MGF1 following the OAEP hash, reads too)', () => {
		const content = randomBytes(1500);
		const ours = buildAuthEnvelopedData(content, recipient.certPem);
		const file = join(dir, 'ours.der');
		writeFileSync(file, ours);
		const out = openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file, '-inkey', join(dir, 'enc.key'), '-recip', certFile()]);
		expect(out.equals(content)).toBe(true);
		const mgfDefault = opensslEncrypt(content, ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']);
		expect(decryptProofEnvelope(mgfDefault, [recipient]).content.equals(content)).toBe(true);
	});

	it('refuses by name the key transports openssl writes unless told otherwise: PKCS #1 v1.5, and OAEP with SHA-1', () => {
		const content = Buffer.from('{}');
		expect(() => decryptProofEnvelope(opensslEncrypt(content, []), [recipient])).toThrow(/rsaEncryption \(PKCS #1 v1\.5\).*rsa_oaep_md:sha256/);
		expect(() => decryptProofEnvelope(opensslEncrypt(content, ['-keyopt', 'rsa_padding_mode:oaep']), [recipient])).toThrow(/RSAES-OAEP SHA-1 \/ MGF1-SHA-1/);
	});

	it('a recipient named by subject key identifier (`openssl cms -keyid`) is found', () => {
		const content = randomBytes(64);
		expect(decryptProofEnvelope(opensslEncrypt(content, [...OAEP, '-keyid']), [recipient]).content.equals(content)).toBe(true);
	});

	it('a changed ciphertext, a changed mac, another recipient: refused', () => {
		const content = randomBytes(300);
		const der = buildAuthEnvelopedData(content, recipient.certPem);
		const flippedMac = Buffer.from(der);
		flippedMac[flippedMac.length - 1] ^= 0x01;
		expect(() => decryptProofEnvelope(flippedMac, [recipient])).toThrow(/does not authenticate/);
		const flippedBody = Buffer.from(der);
		flippedBody[flippedBody.length - 40] ^= 0x01;
		expect(() => decryptProofEnvelope(flippedBody, [recipient])).toThrow(/does not authenticate/);
		expect(() => decryptProofEnvelope(der, [other])).toThrow(/not encrypted to this platform/);
	});

	it('authenticated attributes are the GCM additional data, DER-encoded as an EXPLICIT SET OF (RFC 5083 §2.2)', () => {
		const content = Buffer.from('report');
		const cek = randomBytes(32);
		const nonce = randomBytes(12);
		const attrs = [new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }).toSchema()];
		const aad = Buffer.from(new asn1js.Set({ value: attrs }).toBER(false));
		const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: 16 });
		cipher.setAAD(aad);
		const ciphertext = Buffer.concat([cipher.update(content), cipher.final()]);
		const tag = cipher.getAuthTag();
		const cert = parseCertificatePem(recipient.certPem);
		const encryptedKey = publicEncrypt({ key: createPublicKey(recipient.key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
		const sha = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });
		const oaep = new pkijs.AlgorithmIdentifier({
			algorithmId: OID.rsaesOaep,
			algorithmParams: new pkijs.RSAESOAEPParams({ hashAlgorithm: sha, maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: sha.toSchema() }) }).toSchema()
		});
		const ktri = new pkijs.KeyTransRecipientInfo({ version: 0, rid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }), keyEncryptionAlgorithm: oaep, encryptedKey: new asn1js.OctetString({ valueHex: toAb(encryptedKey) }) });
		const eci = new pkijs.EncryptedContentInfo({
			contentType: OID.data,
			contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.aes256Gcm, algorithmParams: new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toAb(nonce) }), new asn1js.Integer({ value: 16 })] }) }),
			encryptedContent: new asn1js.OctetString({ valueHex: toAb(ciphertext) }),
			disableSplit: true
		});
		const build = (authAttrs: asn1js.BaseBlock[]) =>
			Buffer.from(
				new pkijs.ContentInfo({
					contentType: OID.authEnvelopedData,
					content: new asn1js.Sequence({
						value: [
							new asn1js.Integer({ value: 0 }),
							new asn1js.Set({ value: [new pkijs.RecipientInfo({ variant: 1, value: ktri }).toSchema()] }),
							eci.toSchema(),
							new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: authAttrs }),
							new asn1js.OctetString({ valueHex: toAb(tag) })
						]
					})
				})
					.toSchema()
					.toBER(false)
			);
		expect(decryptProofEnvelope(build(attrs), [recipient]).content.equals(content)).toBe(true);
		const changedAttrs = [new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.signedData })] }).toSchema()];
		expect(() => decryptProofEnvelope(build(changedAttrs), [recipient])).toThrow(/does not authenticate/);
	});

	it('the first form (EnvelopedData with AES-GCM) still decrypts through the same entry point', () => {
		const content = randomBytes(200);
		expect(decryptProofEnvelope(buildEnvelopedData(content, OID.signedData, recipient.certPem), [recipient]).content.equals(content)).toBe(true);
	});

	it('structures that are not an AuthEnvelopedData are malformed, not a crash', () => {
		const der = buildAuthEnvelopedData(randomBytes(10), recipient.certPem);
		expect(() => readProofEnvelope(der.subarray(0, der.length - 3))).toThrow(/not DER/);
		const oid = Buffer.from('060b2a864886f70d0109100117', 'hex'); // 1.2.840.113549.1.9.16.1.23
		const body = Buffer.from('a0053003020101', 'hex'); // [0] { SEQUENCE { INTEGER 1 } }
		expect(() => decryptProofEnvelope(Buffer.concat([Buffer.from([0x30, oid.length + body.length]), oid, body]), [recipient])).toThrow(/AuthEnvelopedData: version is not 0/);
	});
});
