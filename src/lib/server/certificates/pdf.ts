import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, fill, popGraphicsState, pushGraphicsState, rectangle, rgb, setFillingRgbColor, type PDFFont, type PDFImage, type PDFPage, type RGB } from 'pdf-lib';
import QRCode from 'qrcode';
import { BUNDLE_FILE_NAME, type BundleAnchor, type VerificationBundle } from './bundle';
import { embedPreparedFonts, OutsideFontSubset } from './pdf-font-cache';
import { certificateFonts } from './pdf-fonts';
import { PDF_LABELS, type PdfLocale } from './pdf-labels';
import type { CertificateRecord } from '#lib/server/records';
import { formatCapacity, operatorShown, reportView, type OperatorDisplay } from './report-view';

/** What one certificate PDF shows. */
export type CertificatePdfInput = {
	publicId: string;
	locale: PdfLocale;
	issuerName: string;
	logo?: { bytes: Uint8Array; contentType: string } | null;
	record: CertificateRecord;
	issuedAt: Date;
	bundle: VerificationBundle;
	checkpoint: { treeSize: number; rootHash: string };
	/** the blockchain anchor of that checkpoint, once it is confirmed (also in the bundle) */
	anchor?: BundleAnchor;
	/** what the PDF shows of the operator (tenant setting); none when not given */
	operator?: OperatorDisplay;
};

const A4: [number, number] = [595.28, 841.89];
const M = 50;
const LABEL_W = 165;
const ROW = 12.4;
const NAVY = rgb(0.09, 0.16, 0.31);
const GREY = rgb(0.38, 0.4, 0.45);
const RULE = rgb(0.82, 0.84, 0.88);
const RESULT_COLOURS: Record<string, RGB> = { erased: rgb(0.1, 0.45, 0.22), erased_with_warnings: rgb(0.64, 0.38, 0), failed: rgb(0.7, 0.15, 0.12) };

// one formatter per locale and process: constructing an Intl.DateTimeFormat costs ~0.3 ms (app profile)
const dateFormats = new Map<PdfLocale, Intl.DateTimeFormat>();

function formatDate(iso: string | undefined, locale: PdfLocale): string | undefined {
	if (!iso) return undefined;
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	let f = dateFormats.get(locale);
	if (!f) dateFormats.set(locale, (f = new Intl.DateTimeFormat(locale === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'long', timeStyle: 'medium', timeZone: 'UTC' })));
	return `${f.format(d)} UTC`;
}

/** Splits text into lines of at most `width` points (breaking long tokens such as hashes too). */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
	const lines: string[] = [];
	for (const para of text.split('\n')) {
		let line = '';
		for (const word of para.split(/(\s+)/)) {
			const next = line + word;
			if (font.widthOfTextAtSize(next, size) <= width) {
				line = next;
				continue;
			}
			if (line.trim()) lines.push(line.trimEnd());
			line = word.trimStart();
			while (font.widthOfTextAtSize(line, size) > width) {
				let cut = line.length - 1;
				while (cut > 1 && font.widthOfTextAtSize(line.slice(0, cut), size) > width) cut--;
				lines.push(line.slice(0, cut));
				line = line.slice(cut);
			}
		}
		lines.push(line.trimEnd());
	}
	return lines;
}

type Fonts = { regular: PDFFont; bold: PDFFont; mono: PDFFont };

/** A top-to-bottom writer that starts a new page when the current one is full. */
class Flow {
	page: PDFPage;
	y: number;
	constructor(
		private doc: PDFDocument,
		private fonts: Fonts,
		private footer: (p: PDFPage) => void,
		public bottom: number
	) {
		this.page = this.newPage();
		this.y = A4[1] - M;
	}
	newPage(): PDFPage {
		const p = this.doc.addPage(A4);
		p.drawRectangle({ x: 0, y: A4[1] - 10, width: A4[0], height: 10, color: NAVY });
		this.footer(p);
		return p;
	}
	need(h: number) {
		if (this.y - h >= this.bottom) return;
		this.page = this.newPage();
		this.bottom = 60;
		this.y = A4[1] - M;
	}
	text(s: string, o: { font?: PDFFont; size?: number; color?: RGB; x?: number; width?: number; gap?: number } = {}) {
		const font = o.font ?? this.fonts.regular;
		const size = o.size ?? 10;
		const x = o.x ?? M;
		for (const line of wrap(s, font, size, o.width ?? A4[0] - M - x)) {
			this.need(size * 1.35);
			this.y -= size * 1.35;
			this.page.drawText(line, { x, y: this.y, size, font, color: o.color ?? rgb(0.08, 0.09, 0.11) });
		}
		this.y -= o.gap ?? 0;
	}
	heading(s: string) {
		this.need(52);
		this.y -= 11;
		this.text(s.toUpperCase(), { font: this.fonts.bold, size: 9.5, color: NAVY, gap: 3 });
		this.page.drawLine({ start: { x: M, y: this.y }, end: { x: A4[0] - M, y: this.y }, thickness: 0.6, color: RULE });
		this.y -= 2;
	}
	row(label: string, value: string | number | undefined, mono = false) {
		if (value === undefined || value === '') return;
		const font = mono ? this.fonts.mono : this.fonts.regular;
		const size = mono ? 8 : 9.5;
		const lines = wrap(String(value), font, size, A4[0] - 2 * M - LABEL_W);
		this.need(lines.length * ROW + 1);
		const top = this.y;
		this.page.drawText(label, { x: M, y: top - 11.5, size: 8, font: this.fonts.regular, color: GREY });
		lines.forEach((l, i) => this.page.drawText(l, { x: M + LABEL_W, y: top - 11.5 - i * ROW, size, font }));
		this.y = top - lines.length * ROW - 1;
	}
}

async function embedLogo(doc: PDFDocument, logo: CertificatePdfInput['logo']): Promise<PDFImage | null> {
	if (!logo) return null;
	try {
		if (logo.contentType === 'image/png') return await doc.embedPng(logo.bytes);
		if (logo.contentType === 'image/jpeg') return await doc.embedJpg(logo.bytes);
	} catch {
		// a logo pdf-lib cannot read (e.g. interlaced PNG) is left out rather than failing the certificate
	}
	return null;
}

/**
 * QR code as vector squares: sharp at any zoom and print size. One path for
 * all dark modules, a horizontal run of them as one rectangle (a few hundred
 * operators instead of a graphics-state block per module).
 */
function drawQr(page: PDFPage, text: string, x: number, y: number, size: number) {
	const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
	const n = qr.modules.size;
	const cell = size / (n + 8);
	page.drawRectangle({ x, y, width: size, height: size, color: rgb(1, 1, 1) });
	const ops = [pushGraphicsState(), setFillingRgbColor(0, 0, 0)];
	for (let r = 0; r < n; r++)
		for (let c = 0; c < n; c++) {
			if (!qr.modules.get(r, c)) continue;
			let end = c + 1;
			while (end < n && qr.modules.get(r, end)) end++;
			ops.push(rectangle(x + (c + 4) * cell, y + size - (r + 5) * cell, (end - c) * cell, cell));
			c = end - 1;
		}
	ops.push(fill(), popGraphicsState());
	page.pushOperators(...ops);
}

type FontSource = (doc: PDFDocument) => Promise<Fonts>;

/** The per-process subset (pdf-font-cache): no font parsing, shaping or compression per document. */
const preparedFonts: FontSource = (doc) => embedPreparedFonts(doc);

/** Full DejaVu fonts subset by pdf-lib for this document: for text with characters outside the prepared subset. */
const fullFonts: FontSource = async (doc) => {
	doc.registerFontkit(fontkit);
	const f = certificateFonts();
	return { regular: await doc.embedFont(f.regular, { subset: true }), bold: await doc.embedFont(f.bold, { subset: true }), mono: await doc.embedFont(f.mono, { subset: true }) };
};

/**
 * Lays out the certificate and embeds the verification bundle.
 * Returns the unsaved document: pades.ts adds the signature field and signs.
 */
export async function buildCertificatePdf(input: CertificatePdfInput): Promise<PDFDocument> {
	try {
		return await layout(input, preparedFonts);
	} catch (error) {
		// e.g. an operator or issuer name in Greek or CJK: this one document embeds subsets of the full fonts
		if (error instanceof OutsideFontSubset) return layout(input, fullFonts);
		throw error;
	}
}

async function layout(input: CertificatePdfInput, fontSource: FontSource): Promise<PDFDocument> {
	const L = PDF_LABELS[input.locale];
	const v = reportView(input.record.report, input.locale);
	const doc = await PDFDocument.create({ updateMetadata: false });
	const fonts = await fontSource(doc);
	setMetadata(doc, input, L);

	let pageNo = 0;
	const footer = (p: PDFPage) => {
		pageNo++;
		const line = `${L.page} · ${input.publicId} · ${pageNo}`;
		p.drawLine({ start: { x: M, y: 40 }, end: { x: A4[0] - M, y: 40 }, thickness: 0.5, color: RULE });
		p.drawText(line, { x: M, y: 29, size: 7.5, font: fonts.regular, color: GREY });
		for (const [i, l] of wrap(L.footer, fonts.regular, 7, A4[0] - 2 * M).entries()) p.drawText(l, { x: M, y: 19 - i * 9, size: 7, font: fonts.regular, color: GREY });
	};
	const flow = new Flow(doc, fonts, footer, 172);
	const first = flow.page;
	drawHeader(flow, input, fonts, L, await embedLogo(doc, input.logo));
	drawResult(flow, v, fonts, L);
	drawAttestation(flow, input.record, fonts, L);
	drawVerifyBlock(first, input, fonts, L);
	drawDetails(flow, v, input, L);
	await attachBundle(doc, input);
	return doc;
}

type Labels = (typeof PDF_LABELS)[PdfLocale];
type View = ReturnType<typeof reportView>;

function setMetadata(doc: PDFDocument, input: CertificatePdfInput, L: Labels) {
	doc.setTitle(`${L.title} ${input.publicId}`, { showInWindowTitleBar: true });
	doc.setAuthor(input.issuerName);
	doc.setSubject(L.page);
	doc.setKeywords(['WipeCert', input.publicId, 'erasure certificate']);
	doc.setCreator('WipeCert');
	doc.setProducer('WipeCert (pdf-lib)');
	doc.setLanguage(input.locale === 'de' ? 'de-DE' : 'en-GB');
	doc.setCreationDate(input.issuedAt);
	doc.setModificationDate(input.issuedAt);
}

/** Logo and issuer left, certificate id and issue time right, then the title. */
function drawHeader(flow: Flow, input: CertificatePdfInput, fonts: Fonts, L: Labels, logo: PDFImage | null) {
	const first = flow.page;
	let headerBottom = flow.y;
	if (logo) {
		const s = Math.min(140 / logo.width, 46 / logo.height, 1);
		first.drawImage(logo, { x: M, y: flow.y - logo.height * s, width: logo.width * s, height: logo.height * s });
		headerBottom = flow.y - logo.height * s - 6;
		first.drawText(input.issuerName, { x: M, y: headerBottom - 10, size: 11, font: fonts.bold, color: NAVY });
		headerBottom -= 14;
	} else {
		first.drawText(input.issuerName, { x: M, y: flow.y - 16, size: 15, font: fonts.bold, color: NAVY });
		headerBottom = flow.y - 22;
	}
	const idLabelW = fonts.regular.widthOfTextAtSize(L.certificateId, 8.5);
	first.drawText(L.certificateId, { x: A4[0] - M - idLabelW, y: flow.y - 10, size: 8.5, font: fonts.regular, color: GREY });
	const idW = fonts.mono.widthOfTextAtSize(input.publicId, 11);
	first.drawText(input.publicId, { x: A4[0] - M - idW, y: flow.y - 24, size: 11, font: fonts.mono });
	const issuedText = `${L.issuedAt}: ${formatDate(input.issuedAt.toISOString(), input.locale)}`;
	first.drawText(issuedText, { x: A4[0] - M - fonts.regular.widthOfTextAtSize(issuedText, 8.5), y: flow.y - 38, size: 8.5, font: fonts.regular, color: GREY });
	flow.y = Math.min(headerBottom, flow.y - 44) - 10;

	flow.text(L.title, { font: fonts.bold, size: 22, color: NAVY, gap: 2 });
	flow.text(L.subtitle, { size: 8.5, color: GREY, gap: 8 });
}

/** The result banner: says plainly whether the erasure succeeded, with the warnings under it. */
function drawResult(flow: Flow, v: View, fonts: Fonts, L: Labels) {
	const result = v.result ?? 'unknown';
	const colour = RESULT_COLOURS[result] ?? GREY;
	const resultText = `${L.result}: ${L.results[result] ?? result}`;
	const lines = wrap(resultText, fonts.bold, 11, A4[0] - 2 * M - 24);
	const h = lines.length * 15 + 14;
	flow.need(h);
	flow.page.drawRectangle({ x: M, y: flow.y - h, width: A4[0] - 2 * M, height: h, color: colour });
	lines.forEach((l, i) => flow.page.drawText(l, { x: M + 12, y: flow.y - 21 - i * 15, size: 11, font: fonts.bold, color: rgb(1, 1, 1) }));
	flow.y -= h + 2;
	if (v.warnings.length) {
		flow.text(`${L.warnings}:`, { font: fonts.bold, size: 9.5, color: colour });
		for (const w of v.warnings) flow.text(`• ${w}`, { size: 9, x: M + 10 });
	}
}

/** Who stands behind the report, said plainly: an operator's attestation is boxed, never mistaken for an agent signature. */
function drawAttestation(flow: Flow, record: CertificatePdfInput['record'], fonts: Fonts, L: Labels) {
	const attestation = record.attestation;
	if (attestation?.kind === 'operator') {
		const lines = wrap(L.attestedOperator(attestation.operator.name), fonts.bold, 10, A4[0] - 2 * M - 20);
		const box = lines.length * 13.5 + 12;
		flow.need(box + 6);
		flow.y -= 6;
		flow.page.drawRectangle({ x: M, y: flow.y - box, width: A4[0] - 2 * M, height: box, borderColor: NAVY, borderWidth: 1.2, color: rgb(0.95, 0.96, 0.99) });
		lines.forEach((l, i) => flow.page.drawText(l, { x: M + 10, y: flow.y - 16 - i * 13.5, size: 10, font: fonts.bold, color: NAVY }));
		flow.y -= box + 2;
	} else if (record.agent) {
		flow.text(L.attestedAgent(record.agent.certificateSerial), { size: 8.5, color: GREY, gap: 2 });
	}
}

/** The QR block at the bottom of page 1 (the flow stops above it): QR code, how to verify, the URL. */
function drawVerifyBlock(first: PDFPage, input: CertificatePdfInput, fonts: Fonts, L: Labels) {
	const qrSize = 100;
	drawQr(first, input.bundle.verifyUrl, A4[0] - M - qrSize + 8, 50, qrSize);
	first.drawText(L.verify, { x: M, y: 50 + qrSize - 18, size: 11, font: fonts.bold, color: NAVY });
	let qy = 50 + qrSize - 34;
	for (const l of wrap(L.verifyText, fonts.regular, 8.5, A4[0] - 2 * M - qrSize - 20)) {
		first.drawText(l, { x: M, y: qy, size: 8.5, font: fonts.regular, color: GREY });
		qy -= 11.5;
	}
	for (const l of wrap(input.bundle.verifyUrl, fonts.mono, 9, A4[0] - 2 * M - qrSize - 20)) {
		first.drawText(l, { x: M, y: qy - 4, size: 9, font: fonts.mono, color: NAVY });
		qy -= 12;
	}
}

/** Device, sanitisation and integrity sections. */
function drawDetails(flow: Flow, v: View, input: CertificatePdfInput, L: Labels) {
	const d = v.device;
	flow.heading(L.device);
	flow.row(L.type, d.type);
	flow.row(L.manufacturer, d.manufacturer);
	flow.row(L.model, d.model);
	flow.row(L.serial, d.serial, true);
	flow.row(L.capacity, d.capacityBytes !== undefined ? formatCapacity(d.capacityBytes, input.locale) : undefined);
	flow.row(L.interface, d.interface);
	flow.row(L.firmware, d.firmware);
	flow.row(L.assetTag, v.assetTag);
	flow.row(L.host, v.host);
	flow.row(L.location, v.location);

	const e = v.erasure;
	flow.heading(L.sanitisation);
	flow.row(L.method, e.method);
	flow.row(L.standard, e.standard);
	flow.row(L.passes, e.passes);
	flow.row(L.toolMethod, e.toolMethod);
	flow.row(L.pattern, e.pattern);
	flow.row(L.verification, e.verificationMethod);
	flow.row(L.verificationResult, e.verificationResult);
	flow.row(L.started, formatDate(e.startedAt, input.locale));
	flow.row(L.finished, formatDate(e.endedAt, input.locale));
	flow.row(L.duration, e.duration);
	flow.row(L.throughput, e.throughput);
	flow.row(L.coverage, e.coverage);
	flow.row(L.hiddenArea, e.hiddenArea);
	flow.row(L.operator, operatorShown(input.record.report, input.operator ?? 'none'));
	flow.row(L.agent, [v.agent.software, v.agent.version].filter(Boolean).join(' ') || undefined);
	flow.row(L.tool, v.agent.tool);

	flow.heading(L.integrity);
	flow.row(L.erasureLogSha256, v.erasureLogSha256, true);
	for (const a of v.attachments) flow.row(L.toolReport, `${a.sha256}\n${a.label}`, true);
	flow.row(L.proofSha256, input.record.proof.sha256, true);
	flow.row(L.logIndex, String(input.bundle.leafIndex));
	flow.row(L.checkpoint, L.checkpointValue(input.checkpoint.treeSize, input.checkpoint.rootHash), true);
	const a = input.anchor;
	if (a) {
		// part of the integrity evidence, three rows, so a one-page certificate stays one page; the block hash is in the bundle
		flow.row(L.anchorTransaction, a.txHash, true);
		flow.row(L.anchorBlock, L.anchorBlockValue(a.blockNumber, a.chainId, formatDate(a.blockTime, input.locale) ?? a.blockTime));
		flow.row(L.anchorContract, a.contract, true);
	}
}

/** The verification bundle as an embedded file, inside the range the PAdES signature covers. */
async function attachBundle(doc: PDFDocument, input: CertificatePdfInput) {
	const bundleBytes = new TextEncoder().encode(JSON.stringify(input.bundle, null, 1));
	await doc.attach(bundleBytes, BUNDLE_FILE_NAME, {
		mimeType: 'application/json',
		description: 'WipeCert verification bundle: canonical certificate record, transparency-log inclusion proof, signed checkpoint',
		creationDate: input.issuedAt,
		modificationDate: input.issuedAt
	});
}
