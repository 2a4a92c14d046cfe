/**
 * The CMS (RFC 5652) structures WipeCert writes and reads:
 * - SignedData with signed attributes, ECDSA P-256 / SHA-256: agent proofs
 *   (content attached) and PAdES signatures (detached, ETSI EN 319 142-1 B-B,
 *   with signing-certificate-v2 of RFC 5035);
 * - EnvelopedData to an RSA key with RSAES-OAEP (RFC 8017, SHA-256, MGF1-SHA-256;
 *   RFC 3560 parameters) and AES-256-GCM content encryption (RFC 5084
 *   GCMParameters: 12-byte nonce, 16-byte ICV appended to the ciphertext):
 *   the proof format's first envelope. RFC 5083 AuthEnvelopedData, the
 *   standard one, is in cms-auth-enveloped.ts and shares the key unwrapping here.
 * pkijs/asn1js give the ASN.1; node:crypto does the maths, so both sides are
 * byte-for-byte under our control.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, sign, verify, constants, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID, parseCertificatePem, pemToDer } from './pki';

export const toAb = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** Thrown for a structure that is not what it claims to be; callers map it to their own error. */
export class CmsError extends Error {
	constructor(
		readonly kind: 'malformed' | 'not_enveloped' | 'not_signed' | 'decrypt' | 'signature' | 'certificate',
		message: string
	) {
		super(message);
		this.name = 'CmsError';
	}
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const derOf = (s: asn1js.BaseBlock | { toSchema(): asn1js.BaseBlock }) => Buffer.from(('toSchema' in s ? s.toSchema() : s).toBER(false));

function attribute(type: string, value: asn1js.BaseBlock): pkijs.Attribute {
	return new pkijs.Attribute({ type, values: [value] });
}

/** DER SET OF is ordered by the encodings of its elements (X.690 §11.6). */
function sortedAttributes(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
	return attrs
		.map((a) => ({ a, der: derOf(a) }))
		.sort((x, y) => Buffer.compare(x.der, y.der))
		.map((x) => x.a);
}

/** RFC 5035 SigningCertificateV2 with one ESSCertIDv2 (SHA-256, the default algorithm, so omitted) and its IssuerSerial. */
function signingCertificateV2(cert: pkijs.Certificate, certDer: Buffer): asn1js.Sequence {
	const issuerSerial = new asn1js.Sequence({
		value: [
			new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [cert.issuer.toSchema()] })] }),
			new asn1js.Integer({ valueHex: toAb(new Uint8Array(cert.serialNumber.valueBlock.valueHexView)) })
		]
	});
	const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toAb(sha256(certDer)) }), issuerSerial] });
	return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
}

export type SignOptions = {
	/** attached content (agent proofs); absent: detached, `digest` is over content held elsewhere (PDF byte range) */
	content?: Uint8Array;
	/** SHA-256 of the content */
	digest: Uint8Array;
	signerCertPem: string;
	/** further certificates to embed (issuer chain) */
	chainPem?: string[];
	key: KeyObject;
	signingTime?: Date;
	/** add signing-certificate-v2 (PAdES requires it) */
	essSigningCertificate?: boolean;
};

/**
 * Signing certificates parsed once: a PAdES signature per certificate PDF
 * re-parsed the same keyring and root certificates every time (~1 ms
 * §6 profile). pkijs objects are only read here (toSchema re-encodes), so
 * sharing them is safe; bounded for key rotation.
 */
const parsedCerts = new Map<string, { der: Buffer; cert: pkijs.Certificate; embedded: pkijs.Certificate }>();
export function parsedCertificate(pem: string): { der: Buffer; cert: pkijs.Certificate; embedded: pkijs.Certificate } {
	let p = parsedCerts.get(pem);
	if (!p) {
		if (parsedCerts.size >= 512) parsedCerts.clear();
		const der = pemToDer(pem, 'CERTIFICATE');
		const cert = parseCertificatePem(pem);
		// for SignedData.certificates: the same certificate whose encoding is its original DER, not pkijs
		// re-parsing and re-encoding the TBSCertificate at every signature (~1.5 ms for the chain)
		const embedded = Object.create(cert, { toSchema: { value: () => new PreEncoded(der) } }) as pkijs.Certificate;
		p = { der, cert, embedded };
		parsedCerts.set(pem, p);
	}
	return p;
}

/** DER written as is; asn1js's RawData ignores the writer a constructed parent hands it, this one writes into it. */
class PreEncoded extends asn1js.RawData {
	constructor(der: Uint8Array) {
		super({ data: der });
	}
	override toBER(sizeOnly?: boolean, writer?: { write(buf: ArrayBuffer): void }): ArrayBuffer {
		const buf = super.toBER(sizeOnly);
		writer?.write(buf);
		return buf;
	}
}

/** ContentInfo(SignedData), one SignerInfo, ECDSA P-256 with SHA-256 over the DER signed attributes. */
export function buildSignedData(o: SignOptions): Buffer {
	const signer = parsedCertificate(o.signerCertPem);
	const { der: certDer, cert } = signer;
	const attrs = [
		attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data })),
		attribute(OID.messageDigest, new asn1js.OctetString({ valueHex: toAb(o.digest) })),
		attribute(OID.signingTime, new asn1js.UTCTime({ valueDate: o.signingTime ?? new Date() }))
	];
	if (o.essSigningCertificate) attrs.push(attribute(OID.signingCertificateV2, signingCertificateV2(cert, certDer)));
	const sorted = sortedAttributes(attrs);
	const signedAttrsSet = derOf(new asn1js.Set({ value: sorted.map((a) => a.toSchema()) }));
	const signature = sign('sha256', signedAttrsSet, o.key);
	const signerInfo = new pkijs.SignerInfo({
		version: 1,
		sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
		digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
		signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: sorted }),
		signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
		signature: new asn1js.OctetString({ valueHex: toAb(signature) })
	});
	const certificates = [signer.embedded, ...(o.chainPem ?? []).map((pem) => parsedCertificate(pem).embedded)];
	const signed = new pkijs.SignedData({
		version: 1,
		digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
		encapContentInfo: new pkijs.EncapsulatedContentInfo({
			eContentType: OID.data,
			...(o.content ? { eContent: new asn1js.OctetString({ valueHex: toAb(o.content) }) } : {})
		}),
		certificates,
		signerInfos: [signerInfo]
	});
	return derOf(new pkijs.ContentInfo({ contentType: OID.signedData, content: signed.toSchema(true) }));
}

/** Parses DER (strictly: one element spanning every byte) or throws CmsError('malformed'). */
export function parseDer(der: Uint8Array): asn1js.AsnType {
	const parsed = asn1js.fromBER(toAb(der));
	if (parsed.offset === -1 || parsed.offset !== der.byteLength) throw new CmsError('malformed', `not DER: ${parsed.result.error || 'trailing bytes'}`);
	return parsed.result;
}

export function parseContentInfo(der: Uint8Array): pkijs.ContentInfo {
	try {
		return new pkijs.ContentInfo({ schema: parseDer(der) });
	} catch (error) {
		if (error instanceof CmsError) throw error;
		throw new CmsError('malformed', `not a CMS ContentInfo: ${(error as Error).message}`);
	}
}

/** Bytes of an OCTET STRING that may be constructed (BER pieces). */
export function octets(s: asn1js.OctetString): Buffer {
	if (s.idBlock.isConstructed) return Buffer.concat((s.valueBlock.value as asn1js.OctetString[]).map(octets));
	return Buffer.from(s.valueBlock.valueHexView);
}

export type VerifiedSignedData = {
	/** the encapsulated content (attached) */
	content: Buffer;
	/** the certificate that verified the signature */
	signer: pkijs.Certificate;
	signerDer: Buffer;
	signingTime: Date | null;
};

/**
 * Verifies an attached SignedData (ContentInfo, or the bare SignedData that an
 * EnvelopedData of type id-signedData holds): exactly one SignerInfo, its
 * certificate embedded, signed attributes with content-type id-data and a
 * message-digest equal to SHA-256 of the content, and an ECDSA P-256 / SHA-256
 * signature over the DER of those attributes.
 */
export function verifySignedData(der: Uint8Array): VerifiedSignedData {
	let signed: pkijs.SignedData;
	let signedBlock: asn1js.AsnType;
	try {
		const top = parseDer(der);
		// A ContentInfo starts with its contentType OID (RFC 5652 §3), a bare SignedData with its version
		// INTEGER (§5.1): told apart by the first element, not by a failed ContentInfo parse (a CPU profile:
		// the failed attempt cost as much as the SignedData parse itself on every proof).
		const first = top instanceof asn1js.Sequence ? top.valueBlock.value[0] : undefined;
		signedBlock = top;
		if (first instanceof asn1js.ObjectIdentifier) {
			const asContentInfo = new pkijs.ContentInfo({ schema: top });
			if (asContentInfo.contentType !== OID.signedData) throw new CmsError('not_signed', `content type ${asContentInfo.contentType} is not signed-data`);
			signedBlock = asContentInfo.content;
		}
		signed = new pkijs.SignedData({ schema: signedBlock });
	} catch (error) {
		if (error instanceof CmsError) throw error;
		throw new CmsError('not_signed', `not a CMS SignedData: ${(error as Error).message}`);
	}
	if (signed.signerInfos.length !== 1) throw new CmsError('signature', `expected one signer, found ${signed.signerInfos.length}`);
	const si = signed.signerInfos[0];
	const eContent = signed.encapContentInfo.eContent;
	if (!eContent) throw new CmsError('signature', 'the signed content is not attached');
	if (signed.encapContentInfo.eContentType !== OID.data) throw new CmsError('signature', 'the signed content is not id-data');
	const content = octets(eContent);
	if (si.digestAlgorithm.algorithmId !== OID.sha256) throw new CmsError('signature', 'digest algorithm is not SHA-256');
	if (si.signatureAlgorithm.algorithmId !== OID.ecdsaWithSha256 && si.signatureAlgorithm.algorithmId !== OID.ecPublicKey) {
		throw new CmsError('signature', `signature algorithm ${si.signatureAlgorithm.algorithmId} is not ecdsa-with-SHA256`);
	}
	if (!(si.sid instanceof pkijs.IssuerAndSerialNumber)) throw new CmsError('signature', 'the signer is not identified by issuer and serial number');
	const sid = si.sid;
	const cert = (signed.certificates ?? []).find(
		(c): c is pkijs.Certificate => c instanceof pkijs.Certificate && c.serialNumber.isEqual(sid.serialNumber) && c.issuer.isEqual(sid.issuer)
	);
	if (!cert) throw new CmsError('signature', 'the signer certificate is not embedded');
	const attrs = si.signedAttrs;
	if (!attrs) throw new CmsError('signature', 'signed attributes are missing');
	const find = (type: string) => attrs.attributes.filter((a) => a.type === type);
	const ct = find(OID.contentType);
	const md = find(OID.messageDigest);
	if (ct.length !== 1 || (ct[0].values[0] as asn1js.ObjectIdentifier).valueBlock?.toString() !== OID.data) {
		throw new CmsError('signature', 'content-type attribute missing or not id-data');
	}
	if (md.length !== 1 || !(md[0].values[0] instanceof asn1js.OctetString)) throw new CmsError('signature', 'message-digest attribute missing');
	if (!sha256(content).equals(octets(md[0].values[0] as asn1js.OctetString))) throw new CmsError('signature', 'message digest does not match the content');
	const signedAttrsDer = Buffer.from(attrs.encodedValue); // the received bytes, re-tagged as SET OF by pkijs
	const certDer = receivedCertificateDer(signedBlock, signed.certificates!.indexOf(cert)) ?? derOf(cert);
	const publicKey = createPublicKey({ key: derOf(cert.subjectPublicKeyInfo), format: 'der', type: 'spki' });
	let ok = false;
	try {
		ok = verify('sha256', signedAttrsDer, publicKey, Buffer.from(si.signature.valueBlock.valueHexView));
	} catch {
		ok = false;
	}
	if (!ok) throw new CmsError('signature', 'the signature does not verify with the embedded certificate');
	const st = find(OID.signingTime)[0]?.values[0];
	const signingTime = st instanceof asn1js.UTCTime || st instanceof asn1js.GeneralizedTime ? st.toDate() : null;
	return { content, signer: cert, signerDer: certDer, signingTime };
}

/**
 * The certificate's bytes as received: element `index` of SignedData's
 * `certificates [0] IMPLICIT CertificateSet` (RFC 5652 §5.1), in the order pkijs
 * parsed them. Re-encoding the pkijs object instead cost ~0.3 ms per proof and,
 * for a certificate not strictly in DER, could differ from the bytes its CA signed.
 */
function receivedCertificateDer(signedBlock: asn1js.AsnType, index: number): Buffer | null {
	if (index < 0 || !(signedBlock instanceof asn1js.Sequence)) return null;
	const set = signedBlock.valueBlock.value.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
	const blocks = set && 'value' in set.valueBlock && Array.isArray(set.valueBlock.value) ? (set.valueBlock.value as asn1js.AsnType[]) : [];
	const block = blocks[index];
	return block && block.idBlock.tagClass === 1 ? Buffer.from(block.valueBeforeDecodeView) : null;
}

/** RFC 3560 RSAES-OAEP-params with SHA-256 and MGF1-SHA-256 (not the SHA-1 defaults). */
function oaepSha256(): pkijs.AlgorithmIdentifier {
	const sha = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() });
	const params = new pkijs.RSAESOAEPParams({
		hashAlgorithm: sha,
		maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: sha.toSchema() })
	});
	return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaesOaep, algorithmParams: params.toSchema() });
}

/**
 * ContentInfo(EnvelopedData) of `content` (whose type is `contentType`, e.g. the
 * bare SignedData of a proof) to one RSA recipient certificate.
 */
export function buildEnvelopedData(content: Uint8Array, contentType: string, recipientCertPem: string): Buffer {
	const cert = parseCertificatePem(recipientCertPem);
	const publicKey = createPublicKey({ key: derOf(cert.subjectPublicKeyInfo), format: 'der', type: 'spki' });
	if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('the proof-encryption certificate must hold an RSA key');
	const cek = randomBytes(32);
	const nonce = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: 16 });
	const ciphertext = Buffer.concat([cipher.update(content), cipher.final(), cipher.getAuthTag()]);
	const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
	const gcmParams = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toAb(nonce) }), new asn1js.Integer({ value: 16 })] });
	const ktri = new pkijs.KeyTransRecipientInfo({
		version: 0,
		rid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
		keyEncryptionAlgorithm: oaepSha256(),
		encryptedKey: new asn1js.OctetString({ valueHex: toAb(encryptedKey) })
	});
	const enveloped = new pkijs.EnvelopedData({
		version: 0,
		recipientInfos: [new pkijs.RecipientInfo({ variant: 1, value: ktri })],
		encryptedContentInfo: new pkijs.EncryptedContentInfo({
			contentType,
			contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.aes256Gcm, algorithmParams: gcmParams }),
			encryptedContent: new asn1js.OctetString({ valueHex: toAb(ciphertext) }),
			disableSplit: true
		})
	});
	return derOf(new pkijs.ContentInfo({ contentType: OID.envelopedData, content: enveloped.toSchema() }));
}

/** Parses ContentInfo(EnvelopedData); CmsError 'malformed' / 'not_enveloped'. */
export function parseEnvelopedData(der: Uint8Array): pkijs.EnvelopedData {
	const ci = parseContentInfo(der);
	if (ci.contentType !== OID.envelopedData) throw new CmsError('not_enveloped', `content type ${ci.contentType} is not enveloped-data`);
	try {
		return new pkijs.EnvelopedData({ schema: ci.content });
	} catch (error) {
		throw new CmsError('malformed', `not a CMS EnvelopedData: ${(error as Error).message}`);
	}
}

export type DecryptionKey = { certPem: string; key: KeyObject };

/** The certificate's subjectKeyIdentifier, for recipients named by key id (RFC 5652 §6.2.1, `openssl cms -keyid`). */
function subjectKeyId(cert: pkijs.Certificate): Buffer | null {
	const ext = cert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
	const value = ext?.parsedValue;
	return value instanceof asn1js.OctetString ? Buffer.from(value.valueBlock.valueHexView) : null;
}

function addressedTo(rid: pkijs.KeyTransRecipientInfo['rid'], cert: pkijs.Certificate): boolean {
	if (rid instanceof pkijs.IssuerAndSerialNumber) return rid.serialNumber.isEqual(cert.serialNumber) && rid.issuer.isEqual(cert.issuer);
	if (rid instanceof asn1js.OctetString) {
		const ski = subjectKeyId(cert);
		return ski !== null && ski.equals(Buffer.from(rid.valueBlock.valueHexView));
	}
	return false;
}

const HASH_NAMES: Record<string, string> = { '1.3.14.3.2.26': 'SHA-1', [OID.sha256]: 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512' };
const OAEP_HINT = 'use RSAES-OAEP with SHA-256 and MGF1-SHA-256 (openssl cms -encrypt: -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256)';

/**
 * RSAES-OAEP parameters (RFC 8017 A.2.1, RFC 4055 §4.1) must name SHA-256 for
 * both the label hash and MGF1; absent parameters mean SHA-1, which is refused.
 */
function checkOaepParameters(alg: pkijs.AlgorithmIdentifier): void {
	let params: pkijs.RSAESOAEPParams;
	try {
		params = alg.algorithmParams ? new pkijs.RSAESOAEPParams({ schema: alg.algorithmParams }) : new pkijs.RSAESOAEPParams();
	} catch {
		throw new CmsError('decrypt', 'the RSAES-OAEP parameters are malformed');
	}
	const hash = params.hashAlgorithm.algorithmId;
	const mgfHash = params.maskGenAlgorithm.algorithmParams ? new pkijs.AlgorithmIdentifier({ schema: params.maskGenAlgorithm.algorithmParams }).algorithmId : '1.3.14.3.2.26';
	if (hash !== OID.sha256 || params.maskGenAlgorithm.algorithmId !== OID.mgf1 || mgfHash !== OID.sha256) {
		throw new CmsError('decrypt', `the key is wrapped with RSAES-OAEP ${HASH_NAMES[hash] ?? hash} / MGF1-${HASH_NAMES[mgfHash] ?? mgfHash}: ${OAEP_HINT}`);
	}
}

/**
 * The content-encryption key from the first KeyTransRecipientInfo addressed to
 * one of `keys` (by issuer and serial, or subject key identifier). Only
 * RSAES-OAEP SHA-256 key transport is accepted: PKCS #1 v1.5 (`rsaEncryption`,
 * what `openssl cms -encrypt` writes unless told otherwise) is refused by name,
 * since its padding check is a decryption oracle (Bleichenbacher 1998).
 */
export function unwrapContentKey(recipientInfos: pkijs.RecipientInfo[], keys: DecryptionKey[]): Buffer {
	for (const ri of recipientInfos) {
		if (ri.variant !== 1 || !(ri.value instanceof pkijs.KeyTransRecipientInfo)) continue;
		const ktri = ri.value;
		for (const k of keys) {
			const { cert } = parsedCertificate(k.certPem);
			if (!addressedTo(ktri.rid, cert)) continue;
			const alg = ktri.keyEncryptionAlgorithm.algorithmId;
			if (alg === OID.rsaEncryption) throw new CmsError('decrypt', `the key is wrapped with rsaEncryption (PKCS #1 v1.5), which this platform refuses: ${OAEP_HINT}`);
			if (alg !== OID.rsaesOaep) throw new CmsError('decrypt', `key transport ${alg} is not RSAES-OAEP: ${OAEP_HINT}`);
			checkOaepParameters(ktri.keyEncryptionAlgorithm);
			let cek: Buffer;
			try {
				cek = privateDecrypt({ key: k.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, octets(ktri.encryptedKey));
			} catch {
				throw new CmsError('decrypt', 'the content-encryption key does not unwrap (RSA-OAEP SHA-256)');
			}
			if (cek.length !== 32) throw new CmsError('decrypt', 'the content-encryption key is not 256 bits');
			return cek;
		}
	}
	throw new CmsError('decrypt', 'the proof is not encrypted to this platform’s proof-encryption certificate');
}

/** RFC 5084 GCMParameters: the nonce and the ICV length (12 when absent, §3.2), 12 to 16 accepted. */
export function gcmParameters(alg: pkijs.AlgorithmIdentifier): { nonce: Buffer; icvLen: number } {
	if (alg.algorithmId !== OID.aes256Gcm) throw new CmsError('decrypt', `content encryption ${alg.algorithmId} is not AES-256-GCM`);
	const params = alg.algorithmParams as asn1js.Sequence | undefined;
	const nonceBlock = params?.valueBlock?.value?.[0];
	if (!(nonceBlock instanceof asn1js.OctetString)) throw new CmsError('decrypt', 'GCMParameters are missing');
	const icvBlock = params!.valueBlock.value[1];
	const icvLen = icvBlock instanceof asn1js.Integer ? icvBlock.valueBlock.valueDec : 12;
	if (icvLen < 12 || icvLen > 16) throw new CmsError('decrypt', `unsupported GCM ICV length ${icvLen}`);
	return { nonce: octets(nonceBlock), icvLen };
}

/** AES-256-GCM open; CmsError 'decrypt' when the tag does not verify. */
export function gcmOpen(cek: Buffer, nonce: Buffer, ciphertext: Buffer, tag: Buffer, aad?: Buffer): Buffer {
	try {
		const decipher = createDecipheriv('aes-256-gcm', cek, nonce, { authTagLength: tag.length });
		if (aad) decipher.setAAD(aad);
		decipher.setAuthTag(tag);
		return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
	} catch {
		throw new CmsError('decrypt', 'the ciphertext does not authenticate (AES-256-GCM)');
	}
}

/**
 * Decrypts an EnvelopedData with whichever of `keys` it is addressed to
 * (several after a rotation of the proof-encryption key). Returns the content
 * type and bytes; CmsError 'decrypt' when no key fits or the ciphertext is damaged.
 * This is the proof format's first form (AES-GCM inside EnvelopedData, the
 * ICV appended to the ciphertext); cms-auth-enveloped.ts reads RFC 5083.
 */
export function decryptEnvelopedData(der: Uint8Array, keys: DecryptionKey[]): { contentType: string; content: Buffer } {
	const env = parseEnvelopedData(der);
	const eci = env.encryptedContentInfo;
	const { nonce, icvLen } = gcmParameters(eci.contentEncryptionAlgorithm);
	if (!eci.encryptedContent) throw new CmsError('decrypt', 'no encrypted content');
	const sealed = octets(eci.encryptedContent);
	if (sealed.length < icvLen) throw new CmsError('decrypt', 'the ciphertext is shorter than its tag');
	const cek = unwrapContentKey(env.recipientInfos, keys);
	return { contentType: eci.contentType, content: gcmOpen(cek, nonce, sealed.subarray(0, sealed.length - icvLen), sealed.subarray(sealed.length - icvLen)) };
}
