import { buf, concat, equal, sha256, toHex } from './bytes';
import { bitString, children, ctx, DerError, expect, generalizedTime, oid, parse, readElement, seq, smallInt, TAG, unsignedInt, type Der } from './der';

/**
 * PAdES signature checks with WebCrypto and the DER reader (RFC 5652 CMS,
 * RFC 5280 certificates, RFC 3161 timestamps). Browser-safe.
 */

export class Failure extends Error {}
export const fail = (m: string): never => {
	throw new Failure(m);
};

export const OID = {
	signedData: '1.2.840.113549.1.7.2',
	data: '1.2.840.113549.1.7.1',
	tstInfo: '1.2.840.113549.1.9.16.1.4',
	ecPublicKey: '1.2.840.10045.2.1',
	rsaEncryption: '1.2.840.113549.1.1.1',
	ecdsaWithSha256: '1.2.840.10045.4.3.2',
	sha256: '2.16.840.1.101.3.4.2.1',
	messageDigest: '1.2.840.113549.1.9.4',
	signatureTimeStamp: '1.2.840.113549.1.9.16.2.14'
} as const;

const HASHES: Record<string, string> = { '2.16.840.1.101.3.4.2.1': 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512' };
/** signature algorithm OID → [key type, hash] */
const SIG_ALGS: Record<string, ['EC' | 'RSA', string]> = {
	'1.2.840.10045.4.3.2': ['EC', 'SHA-256'],
	'1.2.840.10045.4.3.3': ['EC', 'SHA-384'],
	'1.2.840.10045.4.3.4': ['EC', 'SHA-512'],
	'1.2.840.113549.1.1.11': ['RSA', 'SHA-256'],
	'1.2.840.113549.1.1.12': ['RSA', 'SHA-384'],
	'1.2.840.113549.1.1.13': ['RSA', 'SHA-512']
};
const CURVES: Record<string, [string, number]> = { '1.2.840.10045.3.1.7': ['P-256', 32], '1.3.132.0.34': ['P-384', 48], '1.3.132.0.35': ['P-521', 66] };

export type Cert = { raw: Uint8Array; tbs: Uint8Array; serial: Uint8Array; issuer: Uint8Array; spki: Der; sigAlg: string; signature: Uint8Array };

export function parseCertificate(el: Der): Cert {
	const [tbsEl, algEl, sigEl] = seq(el, 'certificate');
	const tbs = seq(tbsEl, 'tbsCertificate');
	const off = tbs[0]?.tag === ctx(0) ? 1 : 0;
	return {
		raw: el.raw,
		tbs: tbsEl.raw,
		serial: unsignedInt(tbs[off]),
		issuer: expect(tbs[off + 2], TAG.SEQUENCE, 'issuer').raw,
		spki: expect(tbs[off + 5], TAG.SEQUENCE, 'subjectPublicKeyInfo'),
		sigAlg: oid(seq(algEl, 'signatureAlgorithm')[0]),
		signature: bitString(sigEl)
	};
}

export function pemToDer(pem: string): Uint8Array {
	const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
	const b64 = m ? m[1].replace(/\s+/g, '') : '';
	const bin = atob(b64);
	return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** ECDSA-Sig-Value (SEQUENCE { r, s }) → the fixed-size r ‖ s WebCrypto verifies. */
function ecdsaRaw(der: Uint8Array, size: number): Uint8Array {
	const [r, s] = seq(parse(der), 'ECDSA signature');
	const fit = (x: Uint8Array) => {
		if (x.length > size) throw new DerError('ECDSA signature value too long');
		return concat(new Uint8Array(size - x.length), x);
	};
	return concat(fit(unsignedInt(r)), fit(unsignedInt(s)));
}

/** Verifies `signature` over `data` with the key of a SubjectPublicKeyInfo, for a key type and hash. */
export async function verifyWithSpki(spki: Der, keyType: 'EC' | 'RSA', hash: string, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
	const [alg] = seq(spki, 'subjectPublicKeyInfo');
	const [kOid, params] = seq(alg, 'algorithm');
	const k = oid(kOid);
	if (keyType === 'EC') {
		if (k !== OID.ecPublicKey) return false;
		const curve = CURVES[oid(params)];
		if (!curve) return false;
		const key = await crypto.subtle.importKey('spki', buf(spki.raw), { name: 'ECDSA', namedCurve: curve[0] }, false, ['verify']);
		return crypto.subtle.verify({ name: 'ECDSA', hash }, key, buf(ecdsaRaw(signature, curve[1])), buf(data));
	}
	if (k !== OID.rsaEncryption) return false;
	const key = await crypto.subtle.importKey('spki', buf(spki.raw), { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['verify']);
	return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, key, buf(signature), buf(data));
}

/** A certificate's signature by an issuer's key (RFC 5280 §4.1.1.3). */
async function issuedBy(cert: Cert, issuer: Cert): Promise<boolean> {
	const alg = SIG_ALGS[cert.sigAlg];
	return alg ? verifyWithSpki(issuer.spki, alg[0], alg[1], cert.signature, cert.tbs).catch(() => false) : false;
}

type SignerInfo = { version: number; issuer: Uint8Array; serial: Uint8Array; digestAlg: string; signedAttrs: Der | null; sigAlg: string; signature: Uint8Array; unsigned: Der | null };
type SignedData = { version: number; digestAlgs: string[]; eContentType: string; eContent: Uint8Array | null; certs: Der[]; crls: boolean; signers: SignerInfo[] };

/** OCTET STRING contents; the constructed form (BER, definite length) some timestamp authorities write is joined. */
function octets(el: Der | undefined): Uint8Array {
	if (el?.tag === (TAG.OCTET_STRING | 0x20)) return concat(...children(el).map((c) => expect(c, TAG.OCTET_STRING, 'octet string segment').value));
	return expect(el, TAG.OCTET_STRING, 'eContent').value;
}

function parseSignedData(contentInfo: Der): SignedData {
	const [type, content, ...rest] = seq(contentInfo, 'ContentInfo');
	if (oid(type) !== OID.signedData || rest.length) fail('not signed-data');
	const [sd] = children(expect(content, ctx(0), 'content'));
	const f = seq(sd, 'SignedData');
	let i = 0;
	const version = smallInt(f[i++]);
	const digestAlgs = seq(f[i++], 'digestAlgorithms', TAG.SET).map((a) => oid(seq(a, 'algorithm')[0]));
	const [ecType, ecContent] = seq(f[i++], 'encapContentInfo');
	const eContent = ecContent ? octets(children(expect(ecContent, ctx(0), 'eContent'))[0]) : null;
	const certs = f[i]?.tag === ctx(0) ? children(f[i++]) : [];
	const crls = f[i]?.tag === ctx(1) ? (i++, true) : false;
	const signers = seq(f[i++], 'signerInfos', TAG.SET).map((s): SignerInfo => {
		const g = seq(s, 'SignerInfo');
		let j = 0;
		const v = smallInt(g[j++]);
		const sid = g[j++];
		if (sid?.tag !== TAG.SEQUENCE) fail('the signer is not identified by issuer and serial');
		const [issuer, serial] = seq(sid, 'IssuerAndSerialNumber');
		const digestAlg = oid(seq(g[j++], 'digestAlgorithm')[0]);
		const signedAttrs = g[j]?.tag === ctx(0) ? g[j++] : null;
		const sigAlg = oid(seq(g[j++], 'signatureAlgorithm')[0]);
		const signature = expect(g[j++], TAG.OCTET_STRING, 'signature').value;
		const unsigned = g[j]?.tag === (0xa0 | 1) ? g[j++] : null;
		if (j !== g.length) fail('the SignerInfo has unexpected fields');
		return { version: v, issuer: expect(issuer, TAG.SEQUENCE, 'issuer').raw, serial: unsignedInt(serial), digestAlg, signedAttrs, sigAlg, signature, unsigned };
	});
	if (i !== f.length) fail('the SignedData has unexpected fields');
	return { version, digestAlgs, eContentType: oid(ecType), eContent, certs, crls, signers };
}

type Attr = { type: string; values: Der[] };
const attributes = (el: Der): Attr[] =>
	children(el).map((a) => {
		const [t, vals] = seq(a, 'attribute');
		return { type: oid(t), values: seq(vals, 'attribute values', TAG.SET) };
	});

/** DER of signed attributes as signed: the [0] IMPLICIT tag becomes SET OF (RFC 5652 §5.4). */
const signedAttrsBytes = (el: Der) => concat(Uint8Array.of(TAG.SET), el.raw.subarray(1));

export type VerificationKeys = { signing: { keyId: string; certificatePem: string }[]; rootCertificatePem: string };
export type SignatureFacts = { keyId: string; timestamped: boolean; timestampedAt: string | null };

/**
 * The PAdES checks: exactly one signature whose /ByteRange covers the whole
 * file but its /Contents; the CMS pinned to what the platform writes; the
 * message digest of the range; the ECDSA signature; the signer certificate
 * published (or issued by the published root); every embedded certificate
 * published; an RFC 3161 signature timestamp, when present, valid.
 */
export async function checkSignature(pdf: Uint8Array, text: string, keys: VerificationKeys): Promise<SignatureFacts> {
	const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
	if (ranges.length === 0) fail('the file carries no PDF signature');
	if (ranges.length > 1) fail('the file carries more than one signature (it was changed after signing)');
	const [a, b, c, d] = ranges[0].slice(1).map(Number);
	if (a !== 0 || !(b > 0 && c > b) || c + d !== pdf.length) fail('the signature does not cover the whole file (bytes were added or removed after signing)');
	const hole = text.slice(b, c);
	// lower-case hex only, zero padding only: the unsigned hole admits no second spelling of the same signature
	if (!/^<[0-9a-f]*>$/.test(hole) || hole.length % 2) fail('the signature value is not where the signed byte range says');
	const cmsBytes = Uint8Array.from({ length: (hole.length - 2) / 2 }, (_, i) => parseInt(hole.slice(1 + 2 * i, 3 + 2 * i), 16));
	let sd: SignedData;
	let end: number;
	try {
		const r = readElement(cmsBytes, 0);
		end = r.end;
		sd = parseSignedData(r.el);
	} catch (e) {
		if (e instanceof Failure && e.message !== 'not signed-data') throw e;
		return fail('the signature value is not a CMS SignedData');
	}
	if (cmsBytes.subarray(end).some((x) => x !== 0)) fail('the signature value was altered (bytes after the signature are not zero)');
	if (sd.signers.length !== 1) fail(`expected one signer, found ${sd.signers.length}`);
	const si = sd.signers[0];
	// the fields outside the signed attributes are pinned to what a PAdES-B signature of the platform holds
	if (sd.version !== 1 || si.version !== 1) fail('the signature has an unexpected CMS version');
	if (sd.digestAlgs.length !== 1 || sd.digestAlgs[0] !== OID.sha256) fail('the signature lists unexpected digest algorithms');
	if (sd.eContentType !== OID.data || sd.eContent) fail('the signature is not detached over id-data');
	if (sd.crls) fail('the signature carries revocation lists it should not');
	if (si.sigAlg !== OID.ecdsaWithSha256) fail('the signature algorithm is not ECDSA with SHA-256');
	if (si.digestAlg !== OID.sha256) fail('the signature digest is not SHA-256');
	const unsigned = si.unsigned ? attributes(si.unsigned) : [];
	if (unsigned.some((x) => x.type !== OID.signatureTimeStamp)) fail('the signature carries unexpected unsigned attributes');
	if (!si.signedAttrs) return fail('the signature has no signed attributes');
	const md = attributes(si.signedAttrs).filter((x) => x.type === OID.messageDigest);
	if (md.length !== 1 || md[0].values.length !== 1 || md[0].values[0].tag !== TAG.OCTET_STRING) fail('the signature has no message digest');
	const digest = await sha256(concat(pdf.subarray(a, b), pdf.subarray(c, c + d)));
	if (!equal(digest, md[0].values[0].value)) fail('the file was changed after signing (digest mismatch)');
	const certs = sd.certs.map((x) => {
		try {
			return parseCertificate(x);
		} catch {
			return fail('the signature embeds a malformed certificate');
		}
	});
	const cert = certs.find((x) => equal(x.serial, si.serial) && equal(x.issuer, si.issuer));
	if (!cert) return fail('the signer certificate is not embedded');
	const ok = await verifyWithSpki(cert.spki, 'EC', 'SHA-256', si.signature, signedAttrsBytes(si.signedAttrs)).catch(() => false);
	if (!ok) fail('the signature does not verify');
	const published = keys.signing.find((k) => equal(pemToDer(k.certificatePem), cert.raw));
	const rootDer = pemToDer(keys.rootCertificatePem);
	if (!published) {
		let root: Cert | null = null;
		try {
			root = parseCertificate(parse(rootDer));
		} catch {
			root = null;
		}
		if (!root || !(await issuedBy(cert, root))) fail('the signing certificate is not one of the published keys');
	}
	// every embedded certificate must be a published one: no byte of the signature value goes unchecked
	const trusted = new Set([...keys.signing.map((k) => toHex(pemToDer(k.certificatePem))), toHex(rootDer)]);
	for (const x of certs) if (x !== cert && !trusted.has(toHex(x.raw))) fail('the signature embeds a certificate that is not published');
	const tokens = unsigned.filter((x) => x.type === OID.signatureTimeStamp);
	if (tokens.length > 1 || tokens.some((x) => x.values.length !== 1)) fail('the signature carries more than one timestamp');
	const timestampedAt = tokens.length ? await checkTimestamp(tokens[0].values[0], si.signature) : null;
	return { keyId: published?.keyId ?? 'root-issued', timestamped: Boolean(timestampedAt), timestampedAt };
}

/**
 * RFC 3161 signature timestamp (PAdES-B-T): the token's TSTInfo must imprint
 * SHA-256 of the signature value and its CMS signature must verify with the
 * TSA certificate it embeds. Whether that TSA is trusted is the reader's call
 * (its time is reported); the platform's keys do not vouch for it.
 */
async function checkTimestamp(token: Der, signature: Uint8Array): Promise<string> {
	try {
		const sd = parseSignedData(token);
		if (sd.eContentType !== OID.tstInfo || !sd.eContent || sd.signers.length !== 1) return fail('the timestamp token is incomplete');
		const tst = seq(parse(sd.eContent), 'TSTInfo');
		const [hashAlg, hashed] = seq(tst[2], 'messageImprint');
		if (oid(seq(hashAlg, 'hashAlgorithm')[0]) !== OID.sha256 || !equal(expect(hashed, TAG.OCTET_STRING, 'hashedMessage').value, await sha256(signature))) return fail('the timestamp covers another signature');
		const si = sd.signers[0];
		const tcert = sd.certs.map(parseCertificate).find((x) => equal(x.serial, si.serial) && equal(x.issuer, si.issuer));
		const tmd = si.signedAttrs ? attributes(si.signedAttrs).find((x) => x.type === OID.messageDigest)?.values[0] : undefined;
		const hash = HASHES[si.digestAlg];
		if (!tcert || !si.signedAttrs || tmd?.tag !== TAG.OCTET_STRING || !hash) return fail('the timestamp token is incomplete');
		if (!equal(tmd.value, new Uint8Array(await crypto.subtle.digest(hash, buf(sd.eContent))))) return fail('the timestamp token was altered');
		const alg = SIG_ALGS[si.sigAlg] ?? (si.sigAlg === OID.ecPublicKey ? ['EC', hash] : si.sigAlg === OID.rsaEncryption ? ['RSA', hash] : null);
		if (!alg || !(await verifyWithSpki(tcert.spki, alg[0], alg[1], si.signature, signedAttrsBytes(si.signedAttrs)))) return fail('the timestamp signature does not verify');
		return generalizedTime(tst[4]);
	} catch (e) {
		if (e instanceof Failure) throw e;
		return fail('the timestamp token is malformed');
	}
}
