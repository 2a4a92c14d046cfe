/**
 * The CMS (RFC 5652) structures WipeCert writes and reads:
 * - SignedData with signed attributes, ECDSA P-256 / SHA-256: agent proofs
 *   (content attached) and PAdES signatures (detached, ETSI EN 319 142-1 B-B,
 *   with signing-certificate-v2 of RFC 5035);
 * - EnvelopedData to an RSA key with RSAES-OAEP (RFC 8017, SHA-256, MGF1-SHA-256;
 *   RFC 3560 parameters) and AES-256-GCM content encryption (RFC 5084
 *   GCMParameters: 12-byte nonce, 16-byte ICV appended to the ciphertext):
 *   the proof format's first envelope. RFC 5083 AuthEnvelopedData, the
 *   standard one, is written by cms-auth-enveloped.ts.
 * pkijs/asn1js give the ASN.1 of what we write; node:crypto does the maths.
 * Proofs, which come from outside, are read by the strict DER reader instead
 * (der.ts; cms-envelope.ts, cms-decrypt.ts, cms-signed.ts).
 */
import { createCipheriv, createHash, createPublicKey, publicEncrypt, randomBytes, sign, constants, type KeyObject } from 'node:crypto';
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

export function attribute(type: string, value: asn1js.BaseBlock): pkijs.Attribute {
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
export function signingCertificateV2(cert: pkijs.Certificate, certDer: Buffer): asn1js.Sequence {
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

/**
 * EncapsulatedContentInfo with the content as one primitive OCTET STRING (DER):
 * pkijs's constructor splits eContent into a constructed OCTET STRING of 64 KiB
 * segments, a BER form, so the content is set after construction.
 */
function encapsulated(content: Uint8Array | undefined): pkijs.EncapsulatedContentInfo {
	const eci = new pkijs.EncapsulatedContentInfo({ eContentType: OID.data });
	if (content) eci.eContent = new asn1js.OctetString({ valueHex: toAb(content) });
	return eci;
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
		encapContentInfo: encapsulated(o.content),
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

