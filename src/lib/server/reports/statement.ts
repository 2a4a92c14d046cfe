import { createHash } from 'node:crypto';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFImage, type PDFPage } from 'pdf-lib';
import type { ReportBreakdown, ReportTotals, TenantRef } from '#lib/api/types.gen';
import { certificateFonts, embedPreparedFonts, OutsideFontSubset, signPdf, type PdfSigner } from '#lib/server/certificates';
import { STATEMENT_LABELS, type StatementLocale } from './statement-labels';

/**
 * The monthly statement as a PDF, signed like a certificate (PAdES, the
 * platform signer; pades.ts). Its content is a pure function of the report's
 * data — no generation time, no version — and it names the SHA-256 of the CSV
 * and JSON files, so the signature covers them too. `statementSha256` is the
 * hash of the document before signing: the same data gives the same value.
 */
export type StatementInput = {
	locale: StatementLocale;
	month: string;
	timeZone: string;
	period: { start: Date; end: Date };
	tenant: TenantRef | null;
	logo: { bytes: Uint8Array; contentType: string } | null;
	totals: ReportTotals;
	breakdown: ReportBreakdown;
	files: { csvSha256: string; jsonSha256: string };
};

const A4: [number, number] = [595.28, 841.89];
const M = 50;
const NAVY = rgb(0.09, 0.16, 0.31);
const GREY = rgb(0.38, 0.4, 0.45);
const RULE = rgb(0.82, 0.84, 0.88);
const INK = rgb(0.08, 0.09, 0.11);

type Fonts = { regular: PDFFont; bold: PDFFont; mono: PDFFont };
type Labels = (typeof STATEMENT_LABELS)[StatementLocale];

/** Top-to-bottom writer over A4 pages with a footer; a new page when the current one is full. */
class Writer {
	page!: PDFPage;
	y = 0;
	private pages = 0;
	constructor(
		private doc: PDFDocument,
		private fonts: Fonts,
		private footer: string,
		private L: Labels
	) {
		this.newPage();
	}
	newPage() {
		this.page = this.doc.addPage(A4);
		this.pages++;
		this.page.drawRectangle({ x: 0, y: A4[1] - 10, width: A4[0], height: 10, color: NAVY });
		this.page.drawLine({ start: { x: M, y: 40 }, end: { x: A4[0] - M, y: 40 }, thickness: 0.5, color: RULE });
		this.page.drawText(`${this.footer} · ${this.L.page} ${this.pages}`, { x: M, y: 28, size: 7.5, font: this.fonts.regular, color: GREY });
		this.y = A4[1] - M;
	}
	need(h: number) {
		if (this.y - h < 56) this.newPage();
	}
	text(s: string, o: { font?: PDFFont; size?: number; color?: typeof INK; gap?: number } = {}) {
		const font = o.font ?? this.fonts.regular;
		const size = o.size ?? 10;
		for (const line of wrap(s, font, size, A4[0] - 2 * M)) {
			this.need(size * 1.4);
			this.y -= size * 1.4;
			this.page.drawText(line, { x: M, y: this.y, size, font, color: o.color ?? INK });
		}
		this.y -= o.gap ?? 0;
	}
	heading(s: string) {
		this.need(48);
		this.y -= 12;
		this.text(s.toUpperCase(), { font: this.fonts.bold, size: 9.5, color: NAVY, gap: 3 });
		this.page.drawLine({ start: { x: M, y: this.y }, end: { x: A4[0] - M, y: this.y }, thickness: 0.6, color: RULE });
		this.y -= 3;
	}
	/** A row of cells: the first left-aligned at the margin, the others right-aligned at their column's end. */
	row(cells: string[], o: { bold?: boolean; columns?: number[]; mono?: boolean } = {}) {
		const columns = o.columns ?? [A4[0] - M];
		const font = o.bold ? this.fonts.bold : this.fonts.regular;
		this.need(13);
		this.y -= 13;
		const [first, ...rest] = cells;
		this.page.drawText(first, { x: M, y: this.y, size: 9.5, font: o.mono ? this.fonts.mono : font, color: INK });
		rest.forEach((c, i) => {
			const right = columns[i] ?? A4[0] - M;
			this.page.drawText(c, { x: right - font.widthOfTextAtSize(c, 9.5), y: this.y, size: 9.5, font, color: INK });
		});
	}
}

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(/(\s+)/)) {
		const next = line + word;
		if (font.widthOfTextAtSize(next, size) <= width) {
			line = next;
			continue;
		}
		if (line.trim()) lines.push(line.trimEnd());
		line = word.trimStart();
	}
	if (line.trim()) lines.push(line.trimEnd());
	return lines;
}

async function embedLogo(doc: PDFDocument, logo: StatementInput['logo']): Promise<PDFImage | null> {
	if (!logo) return null;
	try {
		if (logo.contentType === 'image/png') return await doc.embedPng(logo.bytes);
		if (logo.contentType === 'image/jpeg') return await doc.embedJpg(logo.bytes);
	} catch {
		// a logo pdf-lib cannot read (e.g. interlaced PNG) is left out rather than failing the statement
	}
	return null;
}

type FontSource = (doc: PDFDocument) => Promise<Fonts>;
/** Full fonts for names outside the prepared subset; fixed subset names keep the bytes reproducible. */
const fullFonts: FontSource = async (doc) => {
	doc.registerFontkit(fontkit);
	const f = certificateFonts();
	const embed = (bytes: Uint8Array, name: string) => doc.embedFont(bytes, { subset: true, customName: name });
	return { regular: await embed(f.regular, 'WCSTAA+DejaVuSans'), bold: await embed(f.bold, 'WCSTAB+DejaVuSans-Bold'), mono: await embed(f.mono, 'WCSTAC+DejaVuSansMono') };
};

/** The unsigned statement's bytes (reproducible) and their SHA-256. */
export async function buildStatement(input: StatementInput): Promise<{ bytes: Uint8Array; sha256: string }> {
	let doc: PDFDocument;
	try {
		doc = await layout(input, embedPreparedFonts);
	} catch (error) {
		if (!(error instanceof OutsideFontSubset)) throw error;
		doc = await layout(input, fullFonts);
	}
	const bytes = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
	return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Signs a built statement (PAdES-B-B, B-T with a time-stamping authority) with the platform signer. */
export async function signStatement(bytes: Uint8Array, o: { sign: PdfSigner; tsaUrl?: string; locale: StatementLocale; origin: string }): Promise<Uint8Array> {
	const doc = await PDFDocument.load(bytes, { updateMetadata: false });
	const { pdf } = await signPdf(doc, { sign: o.sign, tsaUrl: o.tsaUrl, reason: STATEMENT_LABELS[o.locale].reason, name: 'WipeCert', location: new URL(o.origin).host, date: new Date() });
	return pdf;
}

async function layout(input: StatementInput, fontSource: FontSource): Promise<PDFDocument> {
	const L = STATEMENT_LABELS[input.locale];
	const intl = input.locale === 'de' ? 'de-DE' : 'en-GB';
	const n = new Intl.NumberFormat(intl);
	const num = (v: number) => n.format(v);
	const signed = (v: number) => (v > 0 ? `+${num(v)}` : v < 0 ? `−${num(-v)}` : '0');
	const when = new Intl.DateTimeFormat(intl, { dateStyle: 'long', timeStyle: 'short', timeZone: input.timeZone });
	const monthName = new Intl.DateTimeFormat(intl, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${input.month}-15T00:00:00Z`));
	const issuer = input.tenant?.name ?? L.platform;

	const doc = await PDFDocument.create({ updateMetadata: false });
	const fonts = await fontSource(doc);
	doc.setTitle(`${L.title} ${monthName} · ${issuer}`, { showInWindowTitleBar: true });
	doc.setAuthor('WipeCert');
	doc.setSubject(`${L.title} ${input.month}`);
	doc.setCreator('WipeCert');
	doc.setProducer('WipeCert (pdf-lib)');
	doc.setLanguage(input.locale === 'de' ? 'de-DE' : 'en-GB');
	// the period's end, not the time of generation: the same data gives the same bytes
	doc.setCreationDate(input.period.end);
	doc.setModificationDate(input.period.end);

	const w = new Writer(doc, fonts, `${L.footer} · ${input.tenant?.slug ?? 'platform'} · ${input.month}`, L);
	const logo = await embedLogo(doc, input.logo);
	if (logo) {
		const s = Math.min(140 / logo.width, 46 / logo.height, 1);
		w.page.drawImage(logo, { x: M, y: w.y - logo.height * s, width: logo.width * s, height: logo.height * s });
		w.y -= logo.height * s + 8;
	}
	w.text(issuer, { font: fonts.bold, size: 13, color: NAVY, gap: 4 });
	w.text(`${L.title} · ${monthName}`, { font: fonts.bold, size: 20, color: NAVY, gap: 4 });
	w.text(`${L.period}: ${when.format(input.period.start)} – ${when.format(input.period.end)}`, { size: 9.5, color: GREY });
	w.text(`${L.timeZone}: ${input.timeZone}`, { size: 9.5, color: GREY, gap: 4 });

	const led = input.totals.ledger;
	const amount = [A4[0] - M];
	w.heading(L.licences);
	w.row([L.opening, num(led.opening)], { columns: amount });
	w.row([L.grants, signed(led.grants)], { columns: amount });
	w.row([L.topUps, signed(led.topUps)], { columns: amount });
	w.row([L.consumptions, signed(-led.consumptions)], { columns: amount });
	w.row([L.refunds, signed(led.refunds)], { columns: amount });
	w.row([L.corrections, signed(led.corrections)], { columns: amount });
	w.row([L.closing, num(led.closing)], { bold: true, columns: amount });

	w.heading(L.certificates);
	w.row([L.issued, num(input.totals.certificates.issued)]);
	w.row([L.revoked, num(input.totals.certificates.revoked)]);
	w.row([L.anchored, num(input.totals.certificates.anchored)]);
	w.row([L.rejected, num(input.totals.rejected)]);

	const b = input.breakdown;
	const counts = (title: string, list: { key: string; count: number }[]) => {
		w.heading(title);
		if (!list.length) w.text(L.none, { size: 9.5, color: GREY });
		for (const c of list) w.row([c.key, num(c.count)]);
	};
	counts(L.byMediaType, b.mediaType);
	counts(L.byMethod, b.method);
	counts(L.byResult, b.result);
	counts(L.byAttestation, b.attestation.map((a) => ({ key: a.key === 'operator' ? L.attestationOperator : L.attestationAgent, count: a.count })));
	counts(L.byAgent, b.agent.map((a) => ({ key: `${a.name ?? L.unknownAgent} (${a.certificateSerial})`, count: a.count })));
	counts(L.rejections, b.rejections.map((r) => ({ key: r.code, count: r.count })));

	const cols = [360, 440, A4[0] - M];
	w.heading(L.days);
	const active = b.day.filter((d) => d.issued || d.revoked || d.consumed);
	if (!active.length) w.text(L.none, { size: 9.5, color: GREY });
	else w.row([L.day, L.issued, L.revoked, L.consumed], { bold: true, columns: cols });
	for (const d of active) w.row([d.day, num(d.issued), num(d.revoked), num(d.consumed)], { columns: cols });

	if (!input.tenant) {
		w.heading(L.tenants);
		if (!b.tenants.length) w.text(L.none, { size: 9.5, color: GREY });
		else w.row([L.tenant, L.consumed, L.closing, L.issued], { bold: true, columns: cols });
		for (const t of b.tenants) w.row([t.slug, num(t.ledger.consumptions), num(t.ledger.closing), num(t.issued)], { columns: cols });
	}

	w.heading(L.files);
	w.text(L.csv, { size: 9, color: GREY });
	w.text(input.files.csvSha256, { font: fonts.mono, size: 8.5 });
	w.text(L.json, { size: 9, color: GREY });
	w.text(input.files.jsonSha256, { font: fonts.mono, size: 8.5, gap: 8 });
	w.text(L.note, { size: 8.5, color: GREY });
	return doc;
}
