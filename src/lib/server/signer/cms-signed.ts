/**
 * Verifies the agent's SignedData inside a proof (RFC 5652 §5) with the strict
 * DER reader: exactly one SignerInfo named by issuer and serial, its
 * certificate embedded, signed attributes content-type id-data and a
 * message-digest equal to SHA-256 of the attached content, and an ECDSA
 * P-256 / SHA-256 signature over the DER of those attributes (§5.4: re-tagged
 * as an EXPLICIT SET OF). The certificate comes back as node's X509Certificate,
 * parsed once, for the caller's chain check.
 *
 *   SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
 *     certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
 *   SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL,
 *     signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
 *
 * A structure that is not a SignedData is CmsError('not_signed'); one that is,
 * but does not verify, CmsError('signature').
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { CmsError } from './cms';
import { absentOrNull, algorithm, DerError, expectTag, integerBytes, items, octets, oid, parseDer, raw, TAG, type Der } from './der';
import { OID } from './pki';

export type VerifiedSignedData = {
	/** the encapsulated content (attached) */
	content: Buffer;
	/** the certificate that verified the signature */
	certificate: X509Certificate;
	/** its bytes as received */
	signerDer: Buffer;
};

type Parts = { eContentType: string; eContent: Uint8Array | null; certificates: Der[]; signerInfos: Der[] };

/** ContentInfo(SignedData) or the bare SignedData the first envelope form holds, told apart by the first element (RFC 5652 §3, §5.1). */
function signedDataParts(der: Uint8Array): Parts {
	let top = parseDer(der);
	if (top.id === TAG.SEQUENCE && top.children[0]?.id === TAG.OID) {
		const [type, content] = items(top, 'ContentInfo', 2);
		const contentType = oid(type, 'contentType');
		if (contentType !== OID.signedData) throw new CmsError('not_signed', `content type ${contentType} is not signed-data`);
		top = items(expectTag(content, TAG.ctx(0), 'content'), 'content [0]', 1)[0];
	}
	const parts = expectTag(top, TAG.SEQUENCE, 'SignedData').children;
	let i = 0;
	integerBytes(parts[i++], 'version');
	expectTag(parts[i++], TAG.SET, 'digestAlgorithms');
	const [type, content] = items(expectTag(parts[i++], TAG.SEQUENCE, 'encapContentInfo'), 'encapContentInfo', 1, 2);
	const eContentType = oid(type, 'eContentType');
	const eContent = content ? eContentOctets(items(expectTag(content, TAG.ctx(0), 'eContent'), 'eContent [0]', 1)[0]) : null;
	const certificates = parts[i]?.id === TAG.ctx(0) ? parts[i++].children : [];
	if (parts[i]?.id === TAG.ctx(1)) i++;
	const signerInfos = expectTag(parts[i++], TAG.SET, 'signerInfos').children;
	if (i !== parts.length) throw new DerError('unexpected trailing elements');
	return { eContentType, eContent, certificates, signerInfos };
}

/**
 * eContent OCTET STRING. The one place a BER form is read: pkijs, and so every
 * WipeCert agent before the strict reader, writes it as a constructed OCTET
 * STRING of 64 KiB primitive segments (X.690 §8.7.3.2, allowed by RFC 5652
 * §5.2 outside signed attributes). Read one level deep, definite lengths only.
 */
function eContentOctets(d: Der): Uint8Array {
	if (d.id !== (TAG.OCTET_STRING | 0x20)) return octets(d, 'eContent');
	return Buffer.concat(d.children.map((segment) => octets(segment, 'eContent segment')));
}

type Signer = { sid: Der; digestAlg: string; signedAttrs: Der | null; signatureAlg: string; signature: Uint8Array };

function signerInfo(d: Der): Signer {
	const parts = expectTag(d, TAG.SEQUENCE, 'SignerInfo').children;
	let i = 0;
	integerBytes(parts[i++], 'SignerInfo version');
	const sid = parts[i++];
	if (!sid) throw new DerError('sid is missing');
	const digestAlg = algorithm(parts[i++], 'digestAlgorithm');
	if (!absentOrNull(digestAlg.params)) throw new DerError('digestAlgorithm parameters are not absent or NULL');
	const signedAttrs = parts[i]?.id === TAG.ctx(0) ? parts[i++] : null;
	const signatureAlg = algorithm(parts[i++], 'signatureAlgorithm').oid;
	const signature = octets(parts[i++], 'signature');
	if (parts[i]?.id === TAG.ctx(1)) i++;
	if (i !== parts.length) throw new DerError('SignerInfo: unexpected trailing elements');
	return { sid, digestAlg: digestAlg.oid, signedAttrs, signatureAlg, signature };
}

/** The certificate of `certificates [0]` with this issuer and serial (CertificateChoices: only `certificate` is read, §10.2.2). */
function embeddedCertificate(certificates: Der[], issuer: Uint8Array, serial: Uint8Array): Der | undefined {
	return certificates.find((c) => {
		if (c.id !== TAG.SEQUENCE) return false;
		const tbs = c.children[0];
		if (tbs?.id !== TAG.SEQUENCE) return false;
		const f = tbs.children[0]?.id === TAG.ctx(0) ? tbs.children.slice(1) : tbs.children;
		return f[0]?.id === TAG.INTEGER && f[2]?.id === TAG.SEQUENCE && Buffer.from(raw(f[2])).equals(issuer) && Buffer.from(f[0].bytes.subarray(f[0].valueStart, f[0].end)).equals(serial);
	});
}

/** Attribute values by type (RFC 5652 §5.3: SET OF Attribute { attrType, attrValues SET OF }). */
function attributes(signedAttrs: Der): Map<string, Der[][]> {
	const out = new Map<string, Der[][]>();
	for (const a of signedAttrs.children) {
		const [type, values] = items(expectTag(a, TAG.SEQUENCE, 'Attribute'), 'Attribute', 2);
		const t = oid(type, 'attrType');
		out.set(t, [...(out.get(t) ?? []), expectTag(values, TAG.SET, 'attrValues').children]);
	}
	return out;
}

/** Verifies an attached SignedData; CmsError 'not_signed' or 'signature'. */
export function verifySignedData(der: Uint8Array): VerifiedSignedData {
	let parts: Parts;
	let si: Signer[];
	try {
		parts = signedDataParts(der);
		si = parts.signerInfos.map(signerInfo);
	} catch (error) {
		if (error instanceof DerError) throw new CmsError('not_signed', `not a CMS SignedData: ${error.message}`);
		throw error;
	}
	if (si.length !== 1) throw new CmsError('signature', `expected one signer, found ${si.length}`);
	const s = si[0];
	if (!parts.eContent) throw new CmsError('signature', 'the signed content is not attached');
	if (parts.eContentType !== OID.data) throw new CmsError('signature', 'the signed content is not id-data');
	const content = Buffer.from(parts.eContent);
	if (s.digestAlg !== OID.sha256) throw new CmsError('signature', 'digest algorithm is not SHA-256');
	if (s.signatureAlg !== OID.ecdsaWithSha256 && s.signatureAlg !== OID.ecPublicKey) throw new CmsError('signature', `signature algorithm ${s.signatureAlg} is not ecdsa-with-SHA256`);
	if (s.sid.id !== TAG.SEQUENCE || s.sid.children.length !== 2 || s.sid.children[0].id !== TAG.SEQUENCE || s.sid.children[1].id !== TAG.INTEGER) {
		throw new CmsError('signature', 'the signer is not identified by issuer and serial number');
	}
	const [issuer, serialEl] = s.sid.children;
	const certEl = embeddedCertificate(parts.certificates, raw(issuer), serialEl.bytes.subarray(serialEl.valueStart, serialEl.end));
	if (!certEl) throw new CmsError('signature', 'the signer certificate is not embedded');
	if (!s.signedAttrs) throw new CmsError('signature', 'signed attributes are missing');
	let attrs: Map<string, Der[][]>;
	try {
		attrs = attributes(s.signedAttrs);
	} catch (error) {
		if (error instanceof DerError) throw new CmsError('signature', `signed attributes: ${error.message}`);
		throw error;
	}
	const ct = attrs.get(OID.contentType) ?? [];
	const md = attrs.get(OID.messageDigest) ?? [];
	const ctValue = ct.length === 1 && ct[0].length === 1 && ct[0][0].id === TAG.OID ? safeOid(ct[0][0]) : null;
	if (ctValue !== OID.data) throw new CmsError('signature', 'content-type attribute missing or not id-data');
	if (md.length !== 1 || md[0].length !== 1 || md[0][0].id !== TAG.OCTET_STRING) throw new CmsError('signature', 'message-digest attribute missing');
	if (!createHash('sha256').update(content).digest().equals(md[0][0].bytes.subarray(md[0][0].valueStart, md[0][0].end))) throw new CmsError('signature', 'message digest does not match the content');
	const signerDer = Buffer.from(raw(certEl));
	let certificate: X509Certificate;
	try {
		certificate = new X509Certificate(signerDer);
	} catch {
		throw new CmsError('signature', 'the embedded signer certificate is not an X.509 certificate');
	}
	// §5.4: the signature is over the DER of signedAttrs with the EXPLICIT SET OF tag in place of [0] IMPLICIT
	const signedAttrsDer = Buffer.from(raw(s.signedAttrs));
	signedAttrsDer[0] = TAG.SET;
	let ok = false;
	try {
		ok = verify('sha256', signedAttrsDer, certificate.publicKey, s.signature);
	} catch {
		ok = false;
	}
	if (!ok) throw new CmsError('signature', 'the signature does not verify with the embedded certificate');
	return { content, certificate, signerDer };
}

function safeOid(d: Der): string | null {
	try {
		return oid(d, 'content-type');
	} catch {
		return null;
	}
}
