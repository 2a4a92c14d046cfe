import { BUNDLE_FILE_NAME, type BundleAnchor, type VerificationBundle } from './bundle';
import { Canvas, rgb, type Fonts, type Rgb } from './pdf-canvas';
import { documentFonts, OutsideFontSubset, preparedFonts } from './pdf-font-cache';
import { type PdfLocale } from './pdf-labels';
import { A4, certificateTemplate, documentTemplate, GREY, M, NAVY, QR_SIZE, QR_X, QR_Y, RULE, wrap, type Labels, type Template } from './pdf-template';
import { dateString, name, PdfFile, ref, textString, utf16Text, type PreparedPdf } from './pdf-writer';
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

const LABEL_W = 165;
const ROW = 12.4;
const INK = rgb(0.08, 0.09, 0.11);
const RESULT_COLOURS: Record<string, Rgb> = { erased: rgb(0.1, 0.45, 0.22), erased_with_warnings: rgb(0.64, 0.38, 0), failed: rgb(0.7, 0.15, 0.12) };

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

/** A top-to-bottom writer that starts a new page when the current one is full; the template holds what is fixed. */
class Flow {
	readonly pages: Canvas[] = [];
	page!: Canvas;
	y: number;
	constructor(
		private fonts: Fonts,
		public bottom: number,
		y: number
	) {
		this.newPage();
		this.y = y;
	}
	newPage() {
		this.page = new Canvas();
		this.pages.push(this.page);
	}
	need(h: number) {
		if (this.y - h >= this.bottom) return;
		this.newPage();
		this.bottom = 60;
		this.y = A4[1] - M;
	}
	text(s: string, o: { font?: Fonts[keyof Fonts]; size?: number; color?: Rgb; x?: number; width?: number; gap?: number } = {}) {
		const font = o.font ?? this.fonts.regular;
		const size = o.size ?? 10;
		const x = o.x ?? M;
		for (const line of wrap(s, font, size, o.width ?? A4[0] - M - x)) {
			this.need(size * 1.35);
			this.y -= size * 1.35;
			this.page.text(line, { x, y: this.y, size, font, color: o.color ?? INK });
		}
		this.y -= o.gap ?? 0;
	}
	heading(s: string) {
		this.need(52);
		this.y -= 11;
		this.text(s.toUpperCase(), { font: this.fonts.bold, size: 9.5, color: NAVY, gap: 3 });
		this.page.line({ start: { x: M, y: this.y }, end: { x: A4[0] - M, y: this.y }, thickness: 0.6, color: RULE });
		this.y -= 2;
	}
	row(label: string, value: string | number | undefined, mono = false) {
		if (value === undefined || value === '') return;
		const font = mono ? this.fonts.mono : this.fonts.regular;
		const size = mono ? 8 : 9.5;
		const lines = wrap(String(value), font, size, A4[0] - 2 * M - LABEL_W);
		this.need(lines.length * ROW + 1);
		const top = this.y;
		this.page.text(label, { x: M, y: top - 11.5, size: 8, font: this.fonts.regular, color: GREY });
		lines.forEach((l, i) => this.page.text(l, { x: M + LABEL_W, y: top - 11.5 - i * ROW, size, font }));
		this.y = top - lines.length * ROW - 1;
	}
}

/**
 * Lays out the certificate on its template and writes every object but the
 * signature's: pades.ts appends that, the cross-reference table and trailer.
 * Text outside the cached font subset (an issuer in Greek or CJK) gets a
 * template of this document's own subset.
 */
export async function buildCertificatePdf(input: CertificatePdfInput): Promise<PreparedPdf> {
	try {
		return write(input, await certificateTemplate(input.locale, input.logo));
	} catch (error) {
		if (!(error instanceof OutsideFontSubset)) throw error;
	}
	// rare and slow (fontkit parses the full fonts): one pass records the characters, the next lays out with them
	const seen = new Set<number>();
	layout(input, await documentTemplate(input.locale, input.logo, await preparedFonts(), seen));
	const set = await documentFonts([String.fromCodePoint(...seen)]);
	return write(input, await documentTemplate(input.locale, input.logo, set));
}

function layout(input: CertificatePdfInput, t: Template): Canvas[] {
	const L = t.labels;
	const fonts = t.fonts;
	const v = reportView(input.record.report, input.locale);
	const flow = new Flow(fonts, 172, t.flowY);
	drawHeader(flow.page, input, t);
	drawResult(flow, v, fonts, L);
	drawAttestation(flow, input.record, fonts, L);
	drawVerifyBlock(flow.pages[0], input, t);
	drawDetails(flow, v, input, L);
	flow.pages.forEach((p, i) => p.text(`${L.page} · ${input.publicId} · ${i + 1}`, { x: M, y: 29, size: 7.5, font: fonts.regular, color: GREY }));
	return flow.pages;
}

/**
 * The document's objects after the template's: pages, their content, the
 * catalog with the embedded bundle and the signature field, the information
 * dictionary. The signature dictionary's number is reserved for pades.ts.
 */
function write(input: CertificatePdfInput, t: Template): PreparedPdf {
	const pages = layout(input, t);
	const L = t.labels;
	const f = new PdfFile(t.head);
	const [root, pagesRef, info, file, spec, widget, signature] = [f.alloc(), f.alloc(), f.alloc(), f.alloc(), f.alloc(), f.alloc(), f.alloc()];
	const pageRefs = pages.map(() => f.alloc());
	for (const [i, canvas] of pages.entries()) {
		const content = f.alloc();
		f.flate(content, '', canvas.toString());
		const contents = [ref(t.chrome), ...(i === 0 ? [ref(t.first)] : []), ref(content)].join(' ');
		f.object(pageRefs[i], `<< /Type /Page /Parent ${ref(pagesRef)} /MediaBox [0 0 ${A4.join(' ')}] /Resources ${ref(t.resources)} /Contents [${contents}]${i === 0 ? ` /Annots [${ref(widget)}]` : ''} >>`);
	}
	f.object(pagesRef, `<< /Type /Pages /Kids [${pageRefs.map(ref).join(' ')}] /Count ${pages.length} >>`);
	// the verification bundle as an embedded file (§7.11.4), inside the range the PAdES signature covers
	const bundle = Buffer.from(JSON.stringify(input.bundle, null, 1), 'utf8');
	const issued = dateString(input.issuedAt);
	f.flate(file, ` /Type /EmbeddedFile /Subtype ${name('application/json')} /Params << /Size ${bundle.length} /CreationDate ${issued} /ModDate ${issued} >>`, bundle);
	const description = 'WipeCert verification bundle: canonical certificate record, transparency-log inclusion proof, signed checkpoint';
	f.object(spec, `<< /Type /Filespec /F ${textString(BUNDLE_FILE_NAME)} /UF ${utf16Text(BUNDLE_FILE_NAME)} /EF << /F ${ref(file)} >> /Desc ${utf16Text(description)} >>`);
	// an invisible signature field (§12.7.4.5, §12.8.1) whose value is the signature dictionary
	f.object(widget, `<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /V ${ref(signature)} /T (WipeCertSignature) /F 132 /P ${ref(pageRefs[0])} >>`);
	f.object(
		root,
		`<< /Type /Catalog /Pages ${ref(pagesRef)} /Names << /EmbeddedFiles << /Names [${utf16Text(BUNDLE_FILE_NAME)} ${ref(spec)}] >> >> /AcroForm << /Fields [${ref(widget)}] /SigFlags 3 >> /Lang ${textString(input.locale === 'de' ? 'de-DE' : 'en-GB')} /ViewerPreferences << /DisplayDocTitle true >> >>`
	);
	f.object(
		info,
		`<< /Title ${utf16Text(`${L.title} ${input.publicId}`)} /Author ${utf16Text(input.issuerName)} /Subject ${utf16Text(L.page)} /Keywords ${utf16Text(['WipeCert', input.publicId, 'erasure certificate'].join(' '))} /Creator ${utf16Text('WipeCert')} /Producer ${utf16Text('WipeCert')} /CreationDate ${issued} /ModDate ${issued} >>`
	);
	return { kind: 'prepared-pdf', file: f, root, info, signature };
}

type View = ReturnType<typeof reportView>;

/** Issuer name left (under the logo, if any), certificate id and issue time right; label, logo and title are the template's. */
function drawHeader(first: Canvas, input: CertificatePdfInput, t: Template) {
	const { fonts, labels: L } = t;
	const top = A4[1] - M;
	first.text(input.issuerName, { x: M, y: t.issuer.y, size: t.issuer.size, font: fonts[t.issuer.font], color: NAVY });
	first.text(input.publicId, { x: A4[0] - M - fonts.mono.widthOfTextAtSize(input.publicId, 11), y: top - 24, size: 11, font: fonts.mono, color: [0, 0, 0] });
	const issuedText = `${L.issuedAt}: ${formatDate(input.issuedAt.toISOString(), input.locale)}`;
	first.text(issuedText, { x: A4[0] - M - fonts.regular.widthOfTextAtSize(issuedText, 8.5), y: top - 38, size: 8.5, font: fonts.regular, color: GREY });
}

/** The result banner: says plainly whether the erasure succeeded, with the warnings under it. */
function drawResult(flow: Flow, v: View, fonts: Fonts, L: Labels) {
	const result = v.result ?? 'unknown';
	const colour = RESULT_COLOURS[result] ?? GREY;
	const resultText = `${L.result}: ${L.results[result] ?? result}`;
	const lines = wrap(resultText, fonts.bold, 11, A4[0] - 2 * M - 24);
	const h = lines.length * 15 + 14;
	flow.need(h);
	flow.page.rect({ x: M, y: flow.y - h, width: A4[0] - 2 * M, height: h, color: colour });
	lines.forEach((l, i) => flow.page.text(l, { x: M + 12, y: flow.y - 21 - i * 15, size: 11, font: fonts.bold, color: rgb(1, 1, 1) }));
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
		flow.page.rect({ x: M, y: flow.y - box, width: A4[0] - 2 * M, height: box, borderColor: NAVY, borderWidth: 1.2, color: rgb(0.95, 0.96, 0.99) });
		lines.forEach((l, i) => flow.page.text(l, { x: M + 10, y: flow.y - 16 - i * 13.5, size: 10, font: fonts.bold, color: NAVY }));
		flow.y -= box + 2;
	} else if (record.agent) {
		flow.text(L.attestedAgent(record.agent.certificateSerial), { size: 8.5, color: GREY, gap: 2 });
	}
}

/** The QR code and the verify address at the bottom of page 1 (the flow stops above it); heading and text are the template's. */
function drawVerifyBlock(first: Canvas, input: CertificatePdfInput, t: Template) {
	first.qr(input.bundle.verifyUrl, QR_X, QR_Y, QR_SIZE);
	let qy = t.verifyUrlY;
	for (const l of wrap(input.bundle.verifyUrl, t.fonts.mono, 9, A4[0] - 2 * M - QR_SIZE - 20)) {
		first.text(l, { x: M, y: qy - 4, size: 9, font: t.fonts.mono, color: NAVY });
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
