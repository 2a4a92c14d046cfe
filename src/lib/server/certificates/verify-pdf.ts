import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFString, PDFHexString } from 'pdf-lib';
import * as pkijs from 'pkijs';
import { z } from 'zod';
import { leafHash, verifyInclusion } from '../log/merkle';
import { verifyCheckpoint } from '../log/note';
import { BUNDLE_FILE_NAME, bundleSchema, type VerificationBundle } from './bundle';

/**
 * Offline verification of a certificate PDF (the upload on /verify and the CLI),
 * pure: no database, no network. Checks, in order, and says which failed:
 * 1. signature — exactly one PAdES signature whose /ByteRange covers the
 *    whole file except its /Contents; CMS message digest = SHA-256 of that
 *    range; ECDSA signature valid; signer certificate published (or issued
 *    by the published root);
 * 2. record — the embedded verification bundle is inside the signed range and
 *    its canonical record names this certificate;
 * 3. checkpoint — the signed checkpoint verifies with the published log key;
 * 4. inclusion — SHA-256(0x00 ‖ record) is in the tree of that checkpoint.
 */

export const publishedKeysSchema = z.object({
	signing: z.array(z.object({ keyId: z.string(), algorithm: z.string(), certificatePem: z.string(), createdAt: z.string(), retiredAt: z.string().nullable() })),
	rootCertificatePem: z.string(),
	proofEncryptionCertificatePem: z.string().optional(),
	logVerifierKey: z.string()
});
export type VerificationKeys = z.infer<typeof publishedKeysSchema>;

export type CheckName = 'signature' | 'record' | 'checkpoint' | 'inclusion';
export type Check = { check: CheckName; ok: boolean; detail: string };
export type PdfVerdict = {
	valid: boolean;
	/** the first failed check, when not valid */
	failed: CheckName | null;
	reason: string | null;
	checks: Check[];
	publicId: string | null;
	leafIndex: number | null;
	treeSize: number | null;
	signerKeyId: string | null;
	/** the canonical record bytes (UTF-8 JSON) when the bundle could be read */
	record: string | null;
	timestamped: boolean;
	/** genTime of the RFC 3161 signature timestamp, when there is one */
	timestampedAt: string | null;
};

const OID = { signedData: '1.2.840.113549.1.7.2', data: '1.2.840.113549.1.7.1', ecdsaWithSha256: '1.2.840.10045.4.3.2', sha256: '2.16.840.1.101.3.4.2.1', messageDigest: '1.2.840.113549.1.9.4', signatureTimeStamp: '1.2.840.113549.1.9.16.2.14' };
const ab = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const derOf = (x: { toSchema(): asn1js.AsnType }) => Buffer.from(x.toSchema().toBER(false));

class Failure extends Error {}
const fail = (m: string): never => {
	throw new Failure(m);
};

function pemDer(pem: string): Buffer {
	const b = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
	return Buffer.from(b ? b[1].replace(/\s+/g, '') : '', 'base64');
}

type SignatureFacts = { keyId: string; timestamped: boolean; timestampedAt: string | null };

function checkSignature(pdf: Uint8Array, keys: VerificationKeys): SignatureFacts {
	const text = Buffer.from(pdf).toString('latin1');
	const ranges = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
	if (ranges.length === 0) fail('the file carries no PDF signature');
	if (ranges.length > 1) fail('the file carries more than one signature (it was changed after signing)');
	const [a, b, c, d] = ranges[0].slice(1).map(Number);
	if (a !== 0 || !(b > 0 && c > b) || c + d !== pdf.length) fail('the signature does not cover the whole file (bytes were added or removed after signing)');
	const hole = text.slice(b, c);
	// lower-case hex only, zero padding only: the unsigned hole admits no second spelling of the same signature
	if (!/^<[0-9a-f]*>$/.test(hole)) fail('the signature value is not where the signed byte range says');
	const cmsBytes = Buffer.from(hole.slice(1, -1), 'hex');
	let sd: pkijs.SignedData;
	let padded = true;
	try {
		const parsed = asn1js.fromBER(ab(cmsBytes));
		if (parsed.offset === -1) throw new Error('bad DER');
		if (cmsBytes.subarray(parsed.offset).some((x) => x !== 0)) padded = false;
		const ci = new pkijs.ContentInfo({ schema: parsed.result });
		if (ci.contentType !== OID.signedData) throw new Error('not signed-data');
		sd = new pkijs.SignedData({ schema: ci.content });
		// one encoding only: the DER the platform wrote (a re-encoded copy must be byte-identical)
		const again = Buffer.from(new pkijs.ContentInfo({ contentType: OID.signedData, content: sd.toSchema(true) }).toSchema().toBER(false));
		if (!again.equals(cmsBytes.subarray(0, parsed.offset))) throw new Error('not in canonical DER');
	} catch {
		return fail('the signature value is not a CMS SignedData');
	}
	if (!padded) fail('the signature value was altered (bytes after the signature are not zero)');
	if (sd.signerInfos.length !== 1) fail(`expected one signer, found ${sd.signerInfos.length}`);
	const si = sd.signerInfos[0];
	// the fields outside the signed attributes are pinned to what a PAdES-B signature of the platform holds
	if (sd.version !== 1 || si.version !== 1) fail('the signature has an unexpected CMS version');
	if (sd.digestAlgorithms.length !== 1 || sd.digestAlgorithms[0].algorithmId !== OID.sha256) fail('the signature lists unexpected digest algorithms');
	if (sd.encapContentInfo.eContentType !== OID.data || sd.encapContentInfo.eContent) fail('the signature is not detached over id-data');
	if (sd.crls?.length) fail('the signature carries revocation lists it should not');
	if (si.signatureAlgorithm.algorithmId !== OID.ecdsaWithSha256) fail('the signature algorithm is not ECDSA with SHA-256');
	if (si.digestAlgorithm.algorithmId !== OID.sha256) fail('the signature digest is not SHA-256');
	if ((si.unsignedAttrs?.attributes ?? []).some((x) => x.type !== OID.signatureTimeStamp)) fail('the signature carries unexpected unsigned attributes');
	const attrs = si.signedAttrs ?? fail('the signature has no signed attributes');
	const md = attrs.attributes.filter((x) => x.type === OID.messageDigest);
	if (md.length !== 1 || !(md[0].values[0] instanceof asn1js.OctetString)) fail('the signature has no message digest');
	const digest = createHash('sha256').update(pdf.subarray(a, b)).update(pdf.subarray(c, c + d)).digest();
	if (!digest.equals(Buffer.from((md[0].values[0] as asn1js.OctetString).valueBlock.valueHexView))) fail('the file was changed after signing (digest mismatch)');
	const sid = si.sid;
	if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return fail('the signer is not identified by issuer and serial');
	const cert = (sd.certificates ?? []).find((x): x is pkijs.Certificate => x instanceof pkijs.Certificate && x.serialNumber.isEqual(sid.serialNumber) && x.issuer.isEqual(sid.issuer));
	if (!cert) fail('the signer certificate is not embedded');
	const certDer = derOf(cert!);
	let ok = false;
	try {
		const publicKey = createPublicKey({ key: derOf(cert!.subjectPublicKeyInfo), format: 'der', type: 'spki' });
		ok = verify('sha256', Buffer.from(attrs.encodedValue), publicKey, Buffer.from(si.signature.valueBlock.valueHexView));
	} catch {
		ok = false;
	}
	if (!ok) fail('the signature does not verify');
	const published = keys.signing.find((k) => pemDer(k.certificatePem).equals(certDer));
	if (!published) {
		let chained = false;
		try {
			chained = new X509Certificate(certDer).verify(new X509Certificate(pemDer(keys.rootCertificatePem)).publicKey);
		} catch {
			chained = false;
		}
		if (!chained) fail('the signing certificate is not one of the published keys');
	}
	// every embedded certificate must be a published one: no byte of the signature value goes unchecked
	const trusted = new Set([...keys.signing.map((k) => pemDer(k.certificatePem).toString('hex')), pemDer(keys.rootCertificatePem).toString('hex')]);
	for (const x of sd.certificates ?? []) {
		if (x !== cert && !(x instanceof pkijs.Certificate && trusted.has(derOf(x).toString('hex')))) fail('the signature embeds a certificate that is not published');
	}
	const tokens = (si.unsignedAttrs?.attributes ?? []).filter((x) => x.type === OID.signatureTimeStamp);
	if (tokens.length > 1 || tokens.some((x) => x.values.length !== 1)) fail('the signature carries more than one timestamp');
	const timestampedAt = tokens.length ? checkTimestamp(tokens[0].values[0], Buffer.from(si.signature.valueBlock.valueHexView)) : null;
	return { keyId: published?.keyId ?? 'root-issued', timestamped: Boolean(timestampedAt), timestampedAt };
}

/**
 * RFC 3161 signature timestamp (PAdES-B-T): the token's TSTInfo must imprint
 * SHA-256 of the signature value and its CMS signature must verify with the
 * TSA certificate it embeds. Whether that TSA is trusted is the reader's call
 * (its name and time are reported); the platform's keys do not vouch for it.
 */
function checkTimestamp(value: asn1js.AsnType, signature: Buffer): string {
	try {
		const token = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: value }).content });
		const tstDer = Buffer.from(token.encapContentInfo.eContent!.getValue());
		const tst = pkijs.TSTInfo.fromBER(tstDer.buffer.slice(tstDer.byteOffset, tstDer.byteOffset + tstDer.byteLength));
		if (!Buffer.from(tst.messageImprint.hashedMessage.getValue()).equals(createHash('sha256').update(signature).digest())) return fail('the timestamp covers another signature');
		const tsi = token.signerInfos[0];
		const tsid = tsi.sid;
		const tcert = (token.certificates ?? []).find((x): x is pkijs.Certificate => x instanceof pkijs.Certificate && tsid instanceof pkijs.IssuerAndSerialNumber && x.serialNumber.isEqual(tsid.serialNumber));
		const tattrs = tsi.signedAttrs;
		const tmd = tattrs?.attributes.find((x) => x.type === OID.messageDigest)?.values[0];
		if (!tcert || !tattrs || !(tmd instanceof asn1js.OctetString)) return fail('the timestamp token is incomplete');
		if (!Buffer.from(tmd.valueBlock.valueHexView).equals(createHash('sha256').update(tstDer).digest())) return fail('the timestamp token was altered');
		const key = createPublicKey({ key: derOf(tcert.subjectPublicKeyInfo), format: 'der', type: 'spki' });
		if (!verify('sha256', Buffer.from(tattrs.encodedValue), key, Buffer.from(tsi.signature.valueBlock.valueHexView))) return fail('the timestamp signature does not verify');
		return tst.genTime.toISOString();
	} catch (e) {
		if (e instanceof Failure) throw e;
		return fail('the timestamp token is malformed');
	}
}

function name(v: unknown): string | null {
	return v instanceof PDFString || v instanceof PDFHexString ? v.decodeText() : null;
}

/** The embedded verification bundle (Names → EmbeddedFiles). */
async function readBundle(pdf: Uint8Array): Promise<VerificationBundle> {
	let doc: PDFDocument;
	try {
		doc = await PDFDocument.load(pdf, { updateMetadata: false, throwOnInvalidObject: true });
	} catch {
		return fail('the file is not a readable PDF');
	}
	const names = doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
	const files = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
	const list = files?.lookupMaybe(PDFName.of('Names'), PDFArray);
	if (!list) return fail('the certificate carries no verification bundle');
	for (let i = 0; i + 1 < list.size(); i += 2) {
		if (name(list.lookup(i)) !== BUNDLE_FILE_NAME) continue;
		const spec = list.lookup(i + 1, PDFDict);
		const stream = spec.lookupMaybe(PDFName.of('EF'), PDFDict)?.lookup(PDFName.of('F'));
		if (!(stream instanceof PDFRawStream)) return fail('the verification bundle is unreadable');
		const bytes = decodePDFRawStream(stream).decode();
		let json: unknown;
		try {
			json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
		} catch {
			return fail('the verification bundle is not JSON');
		}
		const b = bundleSchema.safeParse(json);
		if (!b.success) return fail('the verification bundle has an unknown format');
		return b.data;
	}
	return fail('the certificate carries no verification bundle');
}

export async function verifyCertificatePdf(pdf: Uint8Array, keys: VerificationKeys): Promise<PdfVerdict> {
	const checks: Check[] = [];
	const verdict: PdfVerdict = { valid: false, failed: null, reason: null, checks, publicId: null, leafIndex: null, treeSize: null, signerKeyId: null, record: null, timestamped: false, timestampedAt: null };
	const step = async <T>(check: CheckName, ok: string, fn: () => T | Promise<T>): Promise<T> => {
		try {
			const r = await fn();
			checks.push({ check, ok: true, detail: ok });
			return r;
		} catch (e) {
			// anything a crafted file makes the parsers throw is a refusal of that check, never a crash
			const detail = e instanceof Failure ? e.message : `the file is malformed (${(e as Error).message})`;
			checks.push({ check, ok: false, detail });
			verdict.failed = check;
			verdict.reason = detail;
			throw new Failure(detail);
		}
	};
	try {
		const sig = await step('signature', 'the PAdES signature is valid and made with a published key', () => checkSignature(pdf, keys));
		verdict.signerKeyId = sig.keyId;
		verdict.timestamped = sig.timestamped;
		verdict.timestampedAt = sig.timestampedAt;
		const bundle = await step('record', 'the signed file carries the certificate record', async () => {
			const b = await readBundle(pdf);
			let record: { certificateId?: unknown };
			try {
				record = JSON.parse(b.record);
			} catch {
				return fail('the embedded record is not JSON');
			}
			if (record.certificateId !== b.publicId) fail('the embedded record belongs to another certificate');
			return b;
		});
		verdict.publicId = bundle.publicId;
		verdict.record = bundle.record;
		verdict.leafIndex = bundle.leafIndex;
		const cp = await step('checkpoint', 'the log checkpoint is signed by the published log key', () => {
			const v = verifyCheckpoint(bundle.checkpoint, keys.logVerifierKey);
			if (!v.ok) return fail(v.reason);
			if (v.checkpoint.treeSize !== bundle.inclusion.treeSize) fail('the checkpoint is of another tree size than the inclusion proof');
			return v.checkpoint;
		});
		verdict.treeSize = cp.treeSize;
		await step('inclusion', `the record is entry ${bundle.leafIndex} of the transparency log (tree size ${cp.treeSize})`, () => {
			const hashes = bundle.inclusion.hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
			if (!verifyInclusion(bundle.leafIndex, cp.treeSize, leafHash(new TextEncoder().encode(bundle.record)), hashes, cp.rootHash)) fail('the inclusion proof does not lead to the signed checkpoint');
		});
		verdict.valid = true;
	} catch (e) {
		if (!(e instanceof Failure)) throw e;
	}
	return verdict;
}
