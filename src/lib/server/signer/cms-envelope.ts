/**
 * Reads the two proof envelopes with the strict DER reader (der.ts), exactly as
 * far as decryption needs them:
 *
 *   ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY }     RFC 5652 §3
 *   AuthEnvelopedData ::= SEQUENCE { version 0, originatorInfo [0] OPTIONAL,
 *     recipientInfos SET OF, authEncryptedContentInfo, authAttrs [1] OPTIONAL,
 *     mac OCTET STRING, unauthAttrs [2] OPTIONAL }                          RFC 5083 §2.1
 *   EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL,
 *     recipientInfos SET OF, encryptedContentInfo, unprotectedAttrs [1] OPTIONAL }  RFC 5652 §6.1
 *   RecipientInfo ::= CHOICE { ktri SEQUENCE, kari [1], kekri [2], pwri [3], ori [4] }  RFC 5652 §6.2
 *
 * The result is plain offsets into the input (no copies); algorithm parameters
 * are left as elements for cms-decrypt.ts, which refuses what it cannot use
 * with CmsError('decrypt'). A structure that does not fit throws
 * CmsError('malformed'), a ContentInfo of another type CmsError('not_enveloped').
 */
import { CmsError } from './cms';
import { algorithm, bitStringOctets, DerError, expectTag, integerBytes, items, octets, oid, parseDer, raw, smallInt, TAG, type Der } from './der';
import { OID, pemToDer } from './pki';

type Alg = { oid: string; params: Der | null };

/** RFC 5652 §10.2.4 IssuerAndSerialNumber, or a subject key identifier (§6.2.1, §6.2.2) */
export type RecipientId = { issuer: Uint8Array; serial: Uint8Array } | { keyId: Uint8Array };

export type KeyTransRecipient = { type: 'ktri'; rid: RecipientId; alg: Alg; encryptedKey: Uint8Array };
export type KeyAgreeRecipient = {
	type: 'kari';
	/** originatorKey (RFC 5753 §3.1.1: the only choice for ephemeral-static ECDH); null for the other choices */
	originator: { alg: Alg; publicKey: Uint8Array } | null;
	ukm: Uint8Array | null;
	alg: Alg;
	recipients: { rid: RecipientId; encryptedKey: Uint8Array }[];
};
export type RecipientInfo = KeyTransRecipient | KeyAgreeRecipient | { type: 'other' };

export type ProofEnvelopeParts = {
	form: 'auth-enveloped' | 'enveloped';
	recipients: RecipientInfo[];
	contentType: string;
	contentAlg: Alg;
	/** encryptedContent, absent when the content is carried elsewhere (never for a proof) */
	encrypted: Uint8Array | null;
	/** AuthEnvelopedData's mac (the GCM tag); the first form appends the tag to `encrypted` */
	mac: Uint8Array | null;
	/** AuthEnvelopedData's authAttrs re-tagged as SET OF: the GCM additional data (RFC 5083 §2.2) */
	aad: Uint8Array | null;
};

const malformed = (what: string, error: unknown): never => {
	if (error instanceof CmsError) throw error;
	if (error instanceof DerError) throw new CmsError('malformed', `${what}: ${error.message}`);
	throw error;
};

/** ContentInfo (RFC 5652 §3): its type and content; CmsError('malformed') for anything else. */
export function readContentInfo(der: Uint8Array): { contentType: string; content: Der } {
	let top: Der;
	try {
		top = parseDer(der);
	} catch (error) {
		return malformed('not a CMS ContentInfo', error);
	}
	try {
		const [type, content] = items(expectTag(top, TAG.SEQUENCE, 'ContentInfo'), 'ContentInfo', 2);
		const contentType = oid(type, 'contentType');
		const [inner] = items(expectTag(content, TAG.ctx(0), 'content'), 'content [0]', 1);
		return { contentType, content: inner };
	} catch (error) {
		return malformed('not a CMS ContentInfo', error);
	}
}

function recipientId(d: Der, what: string): RecipientId {
	if (d.id === TAG.SEQUENCE) {
		const [issuer, serial] = items(d, `${what} issuerAndSerialNumber`, 2);
		return { issuer: raw(expectTag(issuer, TAG.SEQUENCE, `${what} issuer`)), serial: integerBytes(serial, `${what} serialNumber`) };
	}
	throw new DerError(`${what}: expected issuerAndSerialNumber or a key identifier`);
}

function keyTrans(d: Der): KeyTransRecipient {
	const [version, rid, alg, key] = items(d, 'KeyTransRecipientInfo', 4);
	smallInt(version, 'KeyTransRecipientInfo version');
	// rid CHOICE: issuerAndSerialNumber, or subjectKeyIdentifier [0] IMPLICIT OCTET STRING (RFC 5652 §6.2.1)
	const id: RecipientId = rid.id === TAG.ctxPrim(0) ? { keyId: rid.bytes.subarray(rid.valueStart, rid.end) } : recipientId(rid, 'KeyTransRecipientInfo rid');
	return { type: 'ktri', rid: id, alg: algorithm(alg, 'keyEncryptionAlgorithm'), encryptedKey: octets(key, 'encryptedKey') };
}

/** KeyAgreeRecipientInfo (RFC 5652 §6.2.2), [1] IMPLICIT SEQUENCE. */
function keyAgree(d: Der): KeyAgreeRecipient {
	const parts = items(d, 'KeyAgreeRecipientInfo', 4, 5);
	let i = 0;
	if (smallInt(parts[i++], 'KeyAgreeRecipientInfo version') !== 3) throw new DerError('KeyAgreeRecipientInfo version is not 3');
	const [choice] = items(expectTag(parts[i++], TAG.ctx(0), 'originator'), 'originator [0]', 1);
	let originator: KeyAgreeRecipient['originator'] = null;
	// OriginatorIdentifierOrKey: originatorKey [1] IMPLICIT OriginatorPublicKey { algorithm, publicKey BIT STRING }
	if (choice.id === TAG.ctx(1)) {
		const [alg, key] = items(choice, 'originatorKey', 2);
		originator = { alg: algorithm(alg, 'originatorKey algorithm'), publicKey: bitStringOctets(key, 'originatorKey publicKey') };
	}
	let ukm: Uint8Array | null = null;
	if (parts[i]?.id === TAG.ctx(1)) ukm = octets(items(parts[i++], 'ukm [1]', 1)[0], 'ukm');
	const alg = algorithm(parts[i++], 'keyEncryptionAlgorithm');
	const keys = expectTag(parts[i++], TAG.SEQUENCE, 'recipientEncryptedKeys');
	if (i !== parts.length) throw new DerError('KeyAgreeRecipientInfo: unexpected trailing elements');
	const recipients = keys.children.map((rek) => {
		const [rid, key] = items(expectTag(rek, TAG.SEQUENCE, 'RecipientEncryptedKey'), 'RecipientEncryptedKey', 2);
		// KeyAgreeRecipientIdentifier: issuerAndSerialNumber, or rKeyId [0] IMPLICIT RecipientKeyIdentifier { subjectKeyIdentifier, date?, other? }
		const id: RecipientId = rid.id === TAG.ctx(0) ? { keyId: octets(items(rid, 'rKeyId', 1, 3)[0], 'rKeyId subjectKeyIdentifier') } : recipientId(rid, 'RecipientEncryptedKey rid');
		return { rid: id, encryptedKey: octets(key, 'encryptedKey') };
	});
	return { type: 'kari', originator, ukm, alg, recipients };
}

function recipientInfos(d: Der | undefined): RecipientInfo[] {
	const set = expectTag(d, TAG.SET, 'recipientInfos');
	if (!set.children.length) throw new DerError('recipientInfos are missing');
	return set.children.map((ri): RecipientInfo => (ri.id === TAG.SEQUENCE ? keyTrans(ri) : ri.id === TAG.ctx(1) ? keyAgree(ri) : { type: 'other' }));
}

/** EncryptedContentInfo (RFC 5652 §6.1): encryptedContent [0] IMPLICIT OCTET STRING, primitive in DER. */
function encryptedContentInfo(d: Der | undefined) {
	const [type, alg, content] = items(expectTag(d, TAG.SEQUENCE, 'EncryptedContentInfo'), 'EncryptedContentInfo', 2, 3);
	const encrypted = content ? expectTag(content, TAG.ctxPrim(0), 'encryptedContent') : null;
	return { contentType: oid(type, 'EncryptedContentInfo contentType'), contentAlg: algorithm(alg, 'contentEncryptionAlgorithm'), encrypted: encrypted && encrypted.bytes.subarray(encrypted.valueStart, encrypted.end) };
}

function authEnveloped(d: Der): ProofEnvelopeParts {
	const parts = expectTag(d, TAG.SEQUENCE, 'not a SEQUENCE').children;
	let i = 0;
	if (smallInt(parts[i++], 'version') !== 0) throw new DerError('version is not 0');
	if (parts[i]?.id === TAG.ctx(0)) i++; // originatorInfo: certificates for other key management techniques, not read
	const recipients = recipientInfos(parts[i++]);
	const eci = encryptedContentInfo(parts[i++]);
	let aad: Uint8Array | null = null;
	if (parts[i]?.id === TAG.ctx(1)) {
		// RFC 5083 §2.2: the additional data is the DER of authAttrs with an EXPLICIT SET OF tag (0x31)
		aad = Buffer.concat([Buffer.from([TAG.SET]), raw(parts[i++]).subarray(1)]);
	}
	if (!parts[i] || parts[i].id !== TAG.OCTET_STRING) throw new DerError('the mac is missing');
	const mac = octets(parts[i++], 'mac');
	if (parts[i]?.id === TAG.ctx(2)) i++;
	if (i !== parts.length) throw new DerError('unexpected trailing elements');
	return { form: 'auth-enveloped', recipients, ...eci, mac, aad };
}

function enveloped(d: Der): ProofEnvelopeParts {
	const parts = expectTag(d, TAG.SEQUENCE, 'not a SEQUENCE').children;
	let i = 0;
	// RFC 5652 §6.1: 0 with key transport alone, 2 with key agreement, 3 or 4 with other parts
	if (smallInt(parts[i++], 'version') > 4) throw new DerError('version is not 0 to 4');
	if (parts[i]?.id === TAG.ctx(0)) i++;
	const recipients = recipientInfos(parts[i++]);
	const eci = encryptedContentInfo(parts[i++]);
	if (parts[i]?.id === TAG.ctx(1)) i++; // unprotectedAttrs
	if (i !== parts.length) throw new DerError('unexpected trailing elements');
	return { form: 'enveloped', recipients, ...eci, mac: null, aad: null };
}

/** Reads either proof envelope (RFC 5083 AuthEnvelopedData, or the first form, EnvelopedData with AES-GCM); CmsError 'malformed' or 'not_enveloped'. */
export function readProofEnvelope(der: Uint8Array): ProofEnvelopeParts {
	const { contentType, content } = readContentInfo(der);
	if (contentType === OID.authEnvelopedData) {
		try {
			return authEnveloped(content);
		} catch (error) {
			return malformed('not a CMS AuthEnvelopedData', error);
		}
	}
	if (contentType === OID.envelopedData) {
		try {
			return enveloped(content);
		} catch (error) {
			return malformed('not a CMS EnvelopedData', error);
		}
	}
	throw new CmsError('not_enveloped', `content type ${contentType} is neither auth-enveloped-data (RFC 5083) nor enveloped-data`);
}

export type CertificateIdentity = { der: Buffer; issuer: Buffer; serial: Buffer; subjectKeyId: Buffer | null; spki: Buffer };

/**
 * What names a certificate as a recipient (RFC 5652 §6.2.1): its issuer Name and
 * serial as encoded, and its subjectKeyIdentifier extension (RFC 5280 §4.2.1.2).
 * Our own certificates only (keyring, tests), parsed once per PEM; bounded for rotation.
 */
const identities = new Map<string, CertificateIdentity>();
export function certificateIdentity(pem: string): CertificateIdentity {
	let id = identities.get(pem);
	if (!id) {
		if (identities.size >= 256) identities.clear();
		const der = pemToDer(pem, 'CERTIFICATE');
		const tbs = items(parseDer(der), 'Certificate', 3)[0];
		const f = tbs.children[0]?.id === TAG.ctx(0) ? tbs.children.slice(1) : tbs.children;
		const ext = f.find((e) => e.id === TAG.ctx(3))?.children[0]?.children ?? [];
		const ski = ext.find((e) => oid(e.children[0], 'extnID') === OID.subjectKeyIdentifier);
		const skiValue = ski ? parseDer(octets(ski.children.at(-1), 'extnValue')) : null;
		id = { der, issuer: Buffer.from(raw(f[2])), serial: Buffer.from(integerBytes(f[0], 'serialNumber')), subjectKeyId: skiValue && Buffer.from(octets(skiValue, 'subjectKeyIdentifier')), spki: Buffer.from(raw(f[5])) };
		identities.set(pem, id);
	}
	return id;
}

/** Whether a recipient identifier names the certificate. */
export function names(rid: RecipientId, cert: CertificateIdentity): boolean {
	if ('keyId' in rid) return cert.subjectKeyId !== null && cert.subjectKeyId.equals(rid.keyId);
	return cert.serial.equals(rid.serial) && cert.issuer.equals(rid.issuer);
}
