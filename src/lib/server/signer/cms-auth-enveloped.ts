/**
 * RFC 5083 AuthEnvelopedData with AES-256-GCM (RFC 5084 §3): the standard
 * envelope for authenticated encryption in CMS, and what `openssl cms -encrypt
 * -aes-256-gcm` writes (OpenSSL 3.0 and later):
 *
 *   AuthEnvelopedData ::= SEQUENCE {
 *     version CMSVersion,                            -- 0
 *     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *     recipientInfos RecipientInfos,
 *     authEncryptedContentInfo EncryptedContentInfo, -- ciphertext only
 *     authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
 *     mac MessageAuthenticationCode,                 -- the GCM tag
 *     unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
 *
 * Unlike the proof format's first form (AES-GCM inside EnvelopedData, tag
 * appended to the ciphertext), the tag has its own field and the authenticated
 * attributes, when present, are the GCM additional data: their DER with an
 * EXPLICIT SET OF tag instead of the IMPLICIT [1] (RFC 5083 §2.2).
 */
import { createCipheriv, createPublicKey, constants, publicEncrypt, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CmsError, decryptEnvelopedData, gcmOpen, gcmParameters, octets, parseContentInfo, parseEnvelopedData, toAb, unwrapContentKey, type DecryptionKey } from './cms';
import { OID, parseCertificatePem } from './pki';

const derOf = (s: asn1js.BaseBlock | { toSchema(): asn1js.BaseBlock }) => Buffer.from(('toSchema' in s ? s.toSchema() : s).toBER(false));

/** RSAES-OAEP with SHA-256 and MGF1-SHA-256, written as OpenSSL writes it (hash AlgorithmIdentifiers without NULL). */
function oaepSha256(): pkijs.AlgorithmIdentifier {
	const sha = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });
	const params = new pkijs.RSAESOAEPParams({
		hashAlgorithm: sha,
		maskGenAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.mgf1, algorithmParams: sha.toSchema() })
	});
	return new pkijs.AlgorithmIdentifier({ algorithmId: OID.rsaesOaep, algorithmParams: params.toSchema() });
}

/**
 * ContentInfo(AuthEnvelopedData) of `content` (type id-data, so no authenticated
 * attributes are needed, RFC 5083 §2.1) to one RSA recipient certificate:
 * RSAES-OAEP SHA-256 key transport, AES-256-GCM with a 12-byte nonce and a
 * 16-byte tag.
 */
export function buildAuthEnvelopedData(content: Uint8Array, recipientCertPem: string): Buffer {
	const cert = parseCertificatePem(recipientCertPem);
	const publicKey = createPublicKey({ key: derOf(cert.subjectPublicKeyInfo), format: 'der', type: 'spki' });
	if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('the proof-encryption certificate must hold an RSA key');
	const cek = randomBytes(32);
	const nonce = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: 16 });
	const ciphertext = Buffer.concat([cipher.update(content), cipher.final()]);
	const tag = cipher.getAuthTag();
	const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
	const ktri = new pkijs.KeyTransRecipientInfo({
		version: 0,
		rid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
		keyEncryptionAlgorithm: oaepSha256(),
		encryptedKey: new asn1js.OctetString({ valueHex: toAb(encryptedKey) })
	});
	const gcmParams = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toAb(nonce) }), new asn1js.Integer({ value: 16 })] });
	const eci = new pkijs.EncryptedContentInfo({
		contentType: OID.data,
		contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.aes256Gcm, algorithmParams: gcmParams }),
		encryptedContent: new asn1js.OctetString({ valueHex: toAb(ciphertext) }),
		disableSplit: true
	});
	const authEnveloped = new asn1js.Sequence({
		value: [
			new asn1js.Integer({ value: 0 }),
			new asn1js.Set({ value: [new pkijs.RecipientInfo({ variant: 1, value: ktri }).toSchema()] }),
			eci.toSchema(),
			new asn1js.OctetString({ valueHex: toAb(tag) })
		]
	});
	return derOf(new pkijs.ContentInfo({ contentType: OID.authEnvelopedData, content: authEnveloped }));
}

export type ParsedAuthEnvelopedData = {
	recipientInfos: pkijs.RecipientInfo[];
	encryptedContentInfo: pkijs.EncryptedContentInfo;
	/** DER of authAttrs re-tagged as SET OF (the GCM additional data), when present */
	aad: Buffer | null;
	mac: Buffer;
};

const isContext = (b: asn1js.AsnType | undefined, n: number) => b !== undefined && b.idBlock.tagClass === 3 && b.idBlock.tagNumber === n;

/** Parses ContentInfo(AuthEnvelopedData); CmsError 'malformed' / 'not_enveloped'. */
export function parseAuthEnvelopedData(der: Uint8Array): ParsedAuthEnvelopedData {
	const ci = parseContentInfo(der);
	if (ci.contentType !== OID.authEnvelopedData) throw new CmsError('not_enveloped', `content type ${ci.contentType} is not auth-enveloped-data`);
	const fail = (why: string): never => {
		throw new CmsError('malformed', `not a CMS AuthEnvelopedData: ${why}`);
	};
	const seq = ci.content;
	if (!(seq instanceof asn1js.Sequence)) fail('not a SEQUENCE');
	const items = (seq as asn1js.Sequence).valueBlock.value;
	let i = 0;
	const version = items[i++];
	if (!(version instanceof asn1js.Integer) || version.valueBlock.valueDec !== 0) fail('version is not 0');
	if (isContext(items[i], 0)) i++; // originatorInfo: certificates and CRLs for key agreement, not used by key transport
	const set = items[i++];
	if (!(set instanceof asn1js.Set) || !set.valueBlock.value.length) fail('recipientInfos are missing');
	let recipientInfos: pkijs.RecipientInfo[] = [];
	let encryptedContentInfo: pkijs.EncryptedContentInfo | undefined;
	try {
		recipientInfos = (set as asn1js.Set).valueBlock.value.map((b) => new pkijs.RecipientInfo({ schema: b }));
		encryptedContentInfo = new pkijs.EncryptedContentInfo({ schema: items[i++] });
	} catch (error) {
		fail((error as Error).message);
	}
	let aad: Buffer | null = null;
	if (isContext(items[i], 1)) {
		const attrs = Buffer.from(items[i++].valueBeforeDecodeView);
		// RFC 5083 §2.2: the additional data is the DER of authAttrs with an EXPLICIT SET OF tag (0x31)
		aad = Buffer.concat([Buffer.from([0x31]), attrs.subarray(1)]);
	}
	const mac = items[i++];
	if (!(mac instanceof asn1js.OctetString)) fail('the mac is missing');
	if (isContext(items[i], 2)) i++;
	if (i !== items.length) fail('unexpected trailing elements');
	return { recipientInfos, encryptedContentInfo: encryptedContentInfo!, aad, mac: octets(mac as asn1js.OctetString) };
}

/** Decrypts and authenticates an AuthEnvelopedData with whichever of `keys` it is addressed to. */
export function decryptAuthEnvelopedData(der: Uint8Array, keys: DecryptionKey[]): { contentType: string; content: Buffer } {
	const env = parseAuthEnvelopedData(der);
	const eci = env.encryptedContentInfo;
	const { nonce, icvLen } = gcmParameters(eci.contentEncryptionAlgorithm);
	if (env.mac.length !== icvLen) throw new CmsError('decrypt', `the mac is ${env.mac.length} bytes, GCMParameters say ${icvLen}`);
	if (!eci.encryptedContent) throw new CmsError('decrypt', 'no encrypted content');
	const cek = unwrapContentKey(env.recipientInfos, keys);
	return { contentType: eci.contentType, content: gcmOpen(cek, nonce, octets(eci.encryptedContent), env.mac, env.aad ?? undefined) };
}

/** The envelopes a proof may come in: RFC 5083 AuthEnvelopedData, or the first form (EnvelopedData with AES-GCM). */
export const PROOF_ENVELOPES = [OID.authEnvelopedData, OID.envelopedData] as const;

/** Decrypts a proof envelope of either form; CmsError 'not_enveloped' for any other content type. */
export function decryptProofEnvelope(der: Uint8Array, keys: DecryptionKey[]): { contentType: string; content: Buffer } {
	const type = parseContentInfo(der).contentType;
	if (type === OID.authEnvelopedData) return decryptAuthEnvelopedData(der, keys);
	if (type === OID.envelopedData) return decryptEnvelopedData(der, keys);
	throw new CmsError('not_enveloped', `content type ${type} is neither auth-enveloped-data nor enveloped-data`);
}

/** Parses either envelope fully (to tell a malformed structure from a key that does not fit). */
export function parseProofEnvelope(der: Uint8Array): void {
	const type = parseContentInfo(der).contentType;
	if (type === OID.authEnvelopedData) parseAuthEnvelopedData(der);
	else if (type === OID.envelopedData) parseEnvelopedData(der);
	else throw new CmsError('not_enveloped', `content type ${type} is neither auth-enveloped-data nor enveloped-data`);
}
