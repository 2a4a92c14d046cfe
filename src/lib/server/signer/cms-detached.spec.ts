import { createHash, createPrivateKey, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedData, parseContentInfo, toAb } from './cms';
import { preparedSignedData, signDetached } from './cms-detached';
import { createKeyringSigner } from './keyring';
import { OID } from './pki';

let dir: string;
let signer: Awaited<ReturnType<typeof createKeyringSigner>>;
let signerPem: string;
let rootPem: string;
let key: KeyObject;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'wipecert-cms-detached-'));
	signer = await createKeyringSigner(join(dir, 'keys'), { keys: 1, batchSize: 1, noteKeyName: 'wipecert.test/log' });
	const keys = await signer.publicKeys();
	signerPem = keys.signing[0].certificatePem;
	rootPem = keys.rootCertificatePem;
	// the keyring's own signing key (unencrypted without SIGNER_KEY_PASSPHRASE): the key the PDFs are signed with
	key = createPrivateKey(readFileSync(join(dir, 'keys', 'signing', 'rk-001.key.pem')));
});
afterAll(async () => {
	await signer?.close();
	rmSync(dir, { recursive: true, force: true });
});

/** The DER with the signature value (ECDSA: random per signature) replaced by a fixed one, re-encoded by pkijs. */
function withoutSignatureValue(der: Uint8Array): Buffer {
	const ci = parseContentInfo(der);
	const sd = new pkijs.SignedData({ schema: ci.content });
	sd.signerInfos[0].signature = new asn1js.OctetString({ valueHex: new ArrayBuffer(70) });
	return Buffer.from(new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) }).toSchema().toBER(false));
}

describe('detached SignedData from a prepared template', () => {
	it('is the structure pkijs builds for the same input, byte for byte apart from the signature value', () => {
		const digest = randomBytes(32);
		const at = new Date('2026-12-03T15:04:05Z');
		const prepared = signDetached(preparedSignedData(signerPem, [rootPem]), digest, key, at);
		const pkijsBuilt = buildSignedData({ digest, signerCertPem: signerPem, chainPem: [rootPem], key, signingTime: at, essSigningCertificate: true });
		expect(withoutSignatureValue(prepared).equals(withoutSignatureValue(pkijsBuilt))).toBe(true);
		// and no re-encoding was needed to read it: strict DER, one element spanning every byte
		expect(asn1js.fromBER(toAb(prepared)).offset).toBe(prepared.length);
	});

	it('signs the DER SET OF its signed attributes with the key of the embedded certificate; message-digest is the given digest', () => {
		const digest = createHash('sha256').update('the signed byte range').digest();
		const der = signDetached(preparedSignedData(signerPem, [rootPem]), digest, key);
		const sd = new pkijs.SignedData({ schema: parseContentInfo(der).content });
		expect(sd.encapContentInfo.eContent).toBeUndefined();
		expect(sd.certificates).toHaveLength(2);
		const si = sd.signerInfos[0];
		const md = si.signedAttrs!.attributes.find((a) => a.type === OID.messageDigest)!;
		expect(Buffer.from((md.values[0] as asn1js.OctetString).valueBlock.valueHexView)).toEqual(digest);
		expect(si.signedAttrs!.attributes.map((a) => a.type)).toContain(OID.signingCertificateV2);
		const cert = sd.certificates![0] as pkijs.Certificate;
		const publicKey = createPublicKey({ key: Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false)), format: 'der', type: 'spki' });
		expect(verify('sha256', Buffer.from(si.signedAttrs!.encodedValue), publicKey, Buffer.from(si.signature.valueBlock.valueHexView))).toBe(true);
		// a different digest changes message-digest and breaks the old signature
		const other = signDetached(preparedSignedData(signerPem, [rootPem]), randomBytes(32), key);
		const si2 = new pkijs.SignedData({ schema: parseContentInfo(other).content }).signerInfos[0];
		expect(verify('sha256', Buffer.from(si2.signedAttrs!.encodedValue), publicKey, Buffer.from(si.signature.valueBlock.valueHexView))).toBe(false);
	});
});
