/**
 * Detached CMS SignedData (RFC 5652 §5) for PAdES signatures
 * (ETSI EN 319 142-1 §5.1, SubFilter ETSI.CAdES.detached), written from DER
 * pieces prepared once per signing certificate: the certificate set, the
 * signer identifier and the attributes that never change (content-type,
 * RFC 5035 signing-certificate-v2). Per signature only message-digest,
 * signing-time and the signature value are encoded, and the few enclosing
 * lengths. The bytes are those buildSignedData (pkijs) writes for the same
 * input; this only skips rebuilding and re-encoding the object tree.
 */
import { sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { attribute, parsedCertificate, signingCertificateV2 } from './cms';
import { OID } from './pki';

/** DER length octets (X.690 §8.1.3: short form below 128, else long form). */
function len(n: number): Buffer {
	if (n < 0x80) return Buffer.from([n]);
	const bytes: number[] = [];
	for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
	return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element: tag, length, contents. */
function tlv(tag: number, ...contents: Buffer[]): Buffer {
	const body = Buffer.concat(contents);
	return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const der = (s: asn1js.BaseBlock | { toSchema(): asn1js.BaseBlock }) => Buffer.from(('toSchema' in s ? s.toSchema() : s).toBER(false));
const SEQUENCE = 0x30;
const SET = 0x31;
const OCTET_STRING = 0x04;
const UTC_TIME = 0x17;
const CONTEXT_0 = 0xa0;

export type PreparedSignedData = {
	version: Buffer;
	digestAlgorithms: Buffer;
	encapContentInfo: Buffer;
	certificates: Buffer;
	sid: Buffer;
	digestAlgorithm: Buffer;
	signatureAlgorithm: Buffer;
	contentTypeOid: Buffer;
	/** content-type and signing-certificate-v2 attributes, DER */
	staticAttributes: Buffer[];
	/** attribute type OID element and the SET tag, before the value */
	messageDigestPrefix: Buffer;
	signingTimePrefix: Buffer;
};

const prepared = new Map<string, PreparedSignedData>();

/** The fixed parts for one signer certificate and chain (cached; bounded for key rotation). */
export function preparedSignedData(signerCertPem: string, chainPem: string[] = []): PreparedSignedData {
	const key = [signerCertPem, ...chainPem].join('\n');
	let p = prepared.get(key);
	if (p) return p;
	const signer = parsedCertificate(signerCertPem);
	const { cert } = signer;
	const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });
	const attr = (type: string) => der(new asn1js.ObjectIdentifier({ value: type }));
	p = {
		version: der(new asn1js.Integer({ value: 1 })),
		digestAlgorithms: tlv(SET, der(sha256)),
		// detached: eContentType id-data and no eContent (RFC 5652 §5.2)
		encapContentInfo: tlv(SEQUENCE, attr(OID.data)),
		// [0] IMPLICIT CertificateSet: the certificates' own DER, in the order given
		certificates: tlv(CONTEXT_0, signer.der, ...chainPem.map((pem) => parsedCertificate(pem).der)),
		sid: der(new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber })),
		digestAlgorithm: der(sha256),
		signatureAlgorithm: der(new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 })),
		contentTypeOid: attr(OID.signedData),
		staticAttributes: [
			der(attribute(OID.contentType, new asn1js.ObjectIdentifier({ value: OID.data }))),
			der(attribute(OID.signingCertificateV2, signingCertificateV2(cert, signer.der)))
		],
		messageDigestPrefix: attr(OID.messageDigest),
		signingTimePrefix: attr(OID.signingTime)
	};
	if (prepared.size >= 512) prepared.clear();
	prepared.set(key, p);
	return p;
}

/** UTCTime YYMMDDHHMMSSZ (X.680 §47; RFC 5652 §11.3: UTCTime for 1950–2049). */
function utcTime(d: Date): Buffer {
	return Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'latin1');
}

/**
 * ContentInfo(SignedData), detached, one SignerInfo: ECDSA P-256 with
 * SHA-256 over the DER SET OF signed attributes (RFC 5652 §5.4), the
 * attributes in DER order (X.690 §11.6).
 */
export function signDetached(p: PreparedSignedData, digest: Uint8Array, key: KeyObject, signingTime: Date = new Date()): Buffer {
	const attrs = [
		...p.staticAttributes,
		tlv(SEQUENCE, p.messageDigestPrefix, tlv(SET, tlv(OCTET_STRING, Buffer.from(digest)))),
		tlv(SEQUENCE, p.signingTimePrefix, tlv(SET, tlv(UTC_TIME, utcTime(signingTime))))
	].sort(Buffer.compare);
	const signature = sign('sha256', tlv(SET, ...attrs), key);
	const signerInfo = tlv(SEQUENCE, p.version, p.sid, p.digestAlgorithm, tlv(CONTEXT_0, ...attrs), p.signatureAlgorithm, tlv(OCTET_STRING, signature));
	const signedData = tlv(SEQUENCE, p.version, p.digestAlgorithms, p.encapContentInfo, p.certificates, tlv(SET, signerInfo));
	return tlv(SEQUENCE, p.contentTypeOid, tlv(CONTEXT_0, signedData));
}
