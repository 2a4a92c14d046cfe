import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as asn1js from 'asn1js';
import { PDFArray, PDFContentStream, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRawStream, PDFString } from 'pdf-lib';
import { SpanKind } from '@opentelemetry/api';
import { withSpan } from '#lib/server/telemetry/tracing';
import * as pkijs from 'pkijs';
import { dateString, textString, type PreparedPdf } from './pdf-writer';

/**
 * PAdES signatures (ETSI EN 319 142-1) of certificate PDFs:
 * a signature field whose /Contents placeholder is excluded by /ByteRange;
 * the SHA-256 of the rest of the file goes to the signer (`signPdfDigest`,
 * CMS detached, B-B); with a timestamp authority the RFC 3161 token over the
 * signature value is added as the unsigned attribute
 * id-aa-signatureTimeStampToken (RFC 3161 Appendix A; PAdES-B-T).
 */
const CONTENTS_BYTES = 24 * 1024;
const BYTE_RANGE_PLACEHOLDER = '**********';
export const OID_SIGNATURE_TIMESTAMP = '1.2.840.113549.1.9.16.2.14';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';

export type PdfSigner = (sha256: Uint8Array) => Promise<{ keyId: string; cms: Uint8Array }>;

const ab = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

/** Adds an invisible signature field with placeholders; save with useObjectStreams: false so they stay findable. */
function addSignatureField(doc: PDFDocument, o: { reason: string; name: string; location?: string; date: Date }) {
	const ctx = doc.context;
	const byteRange = PDFArray.withContext(ctx);
	byteRange.push(PDFNumber.of(0));
	for (let i = 0; i < 3; i++) byteRange.push(PDFName.of(BYTE_RANGE_PLACEHOLDER));
	const sig = ctx.obj({
		Type: 'Sig',
		Filter: 'Adobe.PPKLite',
		SubFilter: 'ETSI.CAdES.detached',
		ByteRange: byteRange,
		Contents: PDFHexString.of('0'.repeat(CONTENTS_BYTES * 2)),
		Reason: PDFString.of(o.reason),
		Name: PDFString.of(o.name),
		...(o.location ? { Location: PDFString.of(o.location) } : {}),
		M: PDFString.fromDate(o.date)
	});
	const sigRef = ctx.register(sig);
	const page = doc.getPage(0);
	const widget = ctx.obj({ Type: 'Annot', Subtype: 'Widget', FT: 'Sig', Rect: [0, 0, 0, 0], V: sigRef, T: PDFString.of('WipeCertSignature'), F: 132, P: page.ref });
	const widgetRef = ctx.register(widget);
	const annots = page.node.lookupMaybe(PDFName.of('Annots'), PDFArray);
	if (annots) annots.push(widgetRef);
	else page.node.set(PDFName.of('Annots'), ctx.obj([widgetRef]));
	doc.catalog.set(PDFName.of('AcroForm'), ctx.obj({ Fields: [widgetRef], SigFlags: 3 }) as PDFDict);
}

/**
 * pdf-lib deflates page content streams with pako (pure JS) while saving;
 * node's zlib writes the same FlateDecode data natively in a fraction of the
 * time (profile: pako was ~4 ms of every certificate).
 */
function deflateContentStreams(doc: PDFDocument) {
	const flate = PDFName.of('FlateDecode');
	for (const [ref, obj] of doc.context.enumerateIndirectObjects()) {
		if (!(obj instanceof PDFContentStream) || obj.dict.get(PDFName.of('Filter')) !== flate) continue;
		doc.context.assign(ref, PDFRawStream.of(obj.dict, new Uint8Array(deflateSync(obj.getUnencodedContents()))));
	}
}

/**
 * Finds the placeholders, writes the real /ByteRange in place and returns the
 * range to sign. Searches the bytes (no latin1 copy of the whole file as a
 * string: at ~160 KB that lands in V8's large-object space for every PDF).
 */
function fixByteRange(pdf: Uint8Array): { pdf: Uint8Array; contentsStart: number; contentsEnd: number } {
	const buf = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
	let m: { index: number; length: number } | null = null;
	for (let at = buf.indexOf('/ByteRange'); at >= 0 && !m; at = buf.indexOf('/ByteRange', at + 1)) {
		const found = /^\/ByteRange\s*\[\s*0\s+\/\*{10}\s+\/\*{10}\s+\/\*{10}\s*\]/.exec(buf.toString('latin1', at, at + 80));
		if (found) m = { index: at, length: found[0].length };
	}
	if (!m) throw new Error('no /ByteRange placeholder in the PDF');
	const hole = Buffer.from(`<${'0'.repeat(CONTENTS_BYTES * 2)}>`, 'latin1');
	const contentsStart = buf.indexOf(hole, m.index);
	if (contentsStart < 0 || buf.indexOf(hole, contentsStart + 1) >= 0) throw new Error('no unique /Contents placeholder in the PDF');
	const contentsEnd = contentsStart + hole.length;
	const range = `/ByteRange [0 ${contentsStart} ${contentsEnd} ${pdf.length - contentsEnd}]`;
	if (range.length > m.length) throw new Error('the /ByteRange placeholder is too short');
	buf.write(range.padEnd(m.length, ' '), m.index, 'latin1');
	return { pdf, contentsStart, contentsEnd };
}

/** SHA-256 of a PDF's bytes except the /Contents hole. */
export function signedRangeDigest(pdf: Uint8Array, contentsStart: number, contentsEnd: number): Uint8Array {
	return new Uint8Array(createHash('sha256').update(pdf.subarray(0, contentsStart)).update(pdf.subarray(contentsEnd)).digest());
}

/** RFC 3161 §2.4: asks the TSA for a token over SHA-256(signature value); checks the answer's imprint and nonce. */
export async function requestTimestamp(tsaUrl: string, data: Uint8Array, fetchImpl: typeof fetch = fetch): Promise<pkijs.ContentInfo> {
	const nonce = randomBytes(8);
	nonce[0] &= 0x7f;
	const imprint = new Uint8Array(createHash('sha256').update(data).digest());
	const req = new pkijs.TimeStampReq({
		version: 1,
		messageImprint: new pkijs.MessageImprint({
			hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_SHA256 }),
			hashedMessage: new asn1js.OctetString({ valueHex: ab(imprint) })
		}),
		nonce: new asn1js.Integer({ valueHex: ab(nonce) }),
		certReq: true
	});
	const res = await withSpan('tsa.timestamp', { 'server.address': new URL(tsaUrl).host }, () =>
		fetchImpl(tsaUrl, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: Buffer.from(req.toSchema().toBER(false)), signal: AbortSignal.timeout(15_000) }), { kind: SpanKind.CLIENT });
	if (!res.ok) throw new Error(`the timestamp authority answered HTTP ${res.status}`);
	const resp = pkijs.TimeStampResp.fromBER(await res.arrayBuffer());
	if (resp.status.status > 1 || !resp.timeStampToken) throw new Error(`the timestamp authority refused (status ${resp.status.status})`);
	const signed = new pkijs.SignedData({ schema: resp.timeStampToken.content });
	const tst = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent!.getValue());
	if (Buffer.compare(Buffer.from(tst.messageImprint.hashedMessage.getValue()), Buffer.from(imprint)) !== 0) throw new Error('the timestamp covers other data');
	if (!tst.nonce || Buffer.compare(Buffer.from(tst.nonce.valueBlock.valueHexView), Buffer.from(nonce)) !== 0) throw new Error('the timestamp answers another request (nonce)');
	return resp.timeStampToken;
}

/** Adds the signature timestamp token as an unsigned attribute of the (single) SignerInfo. */
async function addSignatureTimestamp(cms: Uint8Array, tsaUrl: string): Promise<Uint8Array> {
	const info = pkijs.ContentInfo.fromBER(ab(cms));
	const sd = new pkijs.SignedData({ schema: info.content });
	const si = sd.signerInfos[0];
	const token = await requestTimestamp(tsaUrl, new Uint8Array(si.signature.valueBlock.valueHexView));
	const attr = new pkijs.Attribute({ type: OID_SIGNATURE_TIMESTAMP, values: [token.toSchema()] });
	si.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 1, attributes: [...(si.unsignedAttrs?.attributes ?? []), attr] });
	return new Uint8Array(new pkijs.ContentInfo({ contentType: info.contentType, content: sd.toSchema(true) }).toSchema().toBER(false));
}

export type SignOptions = { sign: PdfSigner; tsaUrl?: string; reason: string; name: string; location?: string; date: Date };

/** A document whose signed range is fixed and digested; `complete` embeds the CMS and returns the final bytes. */
export type PendingSignature = { digest: Uint8Array; complete(cms: Uint8Array): Uint8Array };

/**
 * Signs the document: digest of the signed range, CMS from the signer
 * (+ timestamp when `tsaUrl`), embedded as /Contents. Returns the final bytes.
 */
export async function signPdf(doc: PDFDocument | PreparedPdf, o: SignOptions): Promise<{ pdf: Uint8Array; keyId: string; timestamped: boolean }> {
	const pending = await prepareSignature(doc, o);
	const { keyId, cms } = await o.sign(pending.digest);
	return { pdf: await completeSignature(pending, cms, o.tsaUrl), keyId, timestamped: Boolean(o.tsaUrl) };
}

/**
 * The signature's place and the digest to sign. A prepared certificate
 * (pdf.ts) gets its signature dictionary, cross-reference table and trailer
 * after its last object, every offset known, and its bytes are put together
 * only in `complete` (a batch's PDFs wait for one signer call without a
 * copy each); a pdf-lib document (the statement) is saved and searched for
 * its placeholders.
 */
export async function prepareSignature(doc: PDFDocument | PreparedPdf, o: Omit<SignOptions, 'sign' | 'tsaUrl'>): Promise<PendingSignature> {
	if (!(doc instanceof PDFDocument)) return finish(doc, o);
	const { pdf, contentsStart, contentsEnd } = await placeholders(doc, o);
	return { digest: signedRangeDigest(pdf, contentsStart, contentsEnd), complete: (cms) => embedCms(pdf, contentsStart, cms) };
}

/** Adds the RFC 3161 timestamp when `tsaUrl` is set, and embeds the CMS. */
export async function completeSignature(pending: PendingSignature, signed: Uint8Array, tsaUrl?: string): Promise<Uint8Array> {
	return pending.complete(tsaUrl ? await addSignatureTimestamp(signed, tsaUrl) : signed);
}

/** Writes the CMS as hex into the /Contents hole; the placeholder's zeros after it stay as its padding. */
function embedCms(pdf: Uint8Array, contentsStart: number, cms: Uint8Array): Uint8Array {
	if (cms.length > CONTENTS_BYTES) throw new Error(`the signature (${cms.length} bytes) does not fit the ${CONTENTS_BYTES}-byte placeholder`);
	Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).write(Buffer.from(cms).toString('hex'), contentsStart + 1, 'latin1');
	return pdf;
}

/** A pdf-lib document with a signature field, saved, /ByteRange written in place. */
async function placeholders(doc: PDFDocument, o: Omit<SignOptions, 'sign' | 'tsaUrl'>) {
	addSignatureField(doc, o);
	deflateContentStreams(doc);
	const saved = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
	return fixByteRange(saved);
}

/** "[0 a b c]" with each number up to 10 digits: a fixed width, so the offsets after it do not depend on its value. */
const BYTE_RANGE_WIDTH = 36;

/**
 * The signature dictionary (ISO 32000-1 §12.8.1, ETSI EN 319 142-1 §5.1:
 * SubFilter ETSI.CAdES.detached) as the file's last object, then the
 * cross-reference table and trailer; /ByteRange covers everything but the
 * /Contents hex string, delimiters included (§12.8.1, Table 252). Every
 * length is known before a byte is written: the digest is taken over the
 * pieces, and the final buffer is filled once, in `complete`. A prepared
 * document can be signed once.
 */
function finish(doc: PreparedPdf, o: Omit<SignOptions, 'sign' | 'tsaUrl'>): PendingSignature {
	const f = doc.file;
	const sigAt = f.length;
	f.offsets[doc.signature] = sigAt;
	const head = `${doc.signature} 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange `;
	const beforeHole = head.length + BYTE_RANGE_WIDTH + ' /Contents '.length;
	const tail = ` /Reason ${textString(o.reason)} /Name ${textString(o.name)}${o.location ? ` /Location ${textString(o.location)}` : ''} /M ${dateString(o.date)} >>\nendobj\n`;
	const contentsStart = sigAt + beforeHole;
	const contentsEnd = contentsStart + 2 * CONTENTS_BYTES + 2;
	const xref = f.xrefAndTrailer(doc.root, doc.info, contentsEnd + tail.length);
	const total = contentsEnd + tail.length + xref.length;
	const range = `[0 ${contentsStart} ${contentsEnd} ${total - contentsEnd}]`;
	if (range.length > BYTE_RANGE_WIDTH) throw new Error('the PDF is too large for its /ByteRange');
	const before = head + range.padEnd(BYTE_RANGE_WIDTH, ' ') + ' /Contents ';
	const after = tail + xref;
	const hash = createHash('sha256');
	for (const part of f.parts) hash.update(part);
	const digest = new Uint8Array(hash.update(before, 'latin1').update(after, 'latin1').digest());
	return {
		digest,
		complete(cms) {
			const pdf = Buffer.allocUnsafe(total);
			let at = 0;
			for (const part of f.parts) at += Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(pdf, at);
			pdf.write(before + '<', at, 'latin1');
			pdf.fill(0x30, contentsStart + 1, contentsEnd - 1);
			pdf.write('>' + after, contentsEnd - 1, 'latin1');
			return embedCms(new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength), contentsStart, cms);
		}
	};
}
