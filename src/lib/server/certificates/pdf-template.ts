import { createHash } from 'node:crypto';
import { JpegEmbedder, PDFContext, PngEmbedder, PDFRef } from 'pdf-lib';
import { Canvas, Face, num, rgb, type Fonts } from './pdf-canvas';
import { preparedFonts, type FontKey, type Prepared } from './pdf-font-cache';
import { PDF_LABELS, type PdfLocale } from './pdf-labels';
import { PdfFile, ref } from './pdf-writer';

/**
 * What every certificate of one (locale, tenant logo, font set) shares,
 * written once as PDF objects: the three font programs with their
 * descriptors, widths and ToUnicode maps, the logo image, the resource
 * dictionary, and two content streams of static drawing — the page chrome
 * (top bar, footer rule and text) and page 1's fixed parts (logo, certificate
 * ID label, title, subtitle, the verify block's heading and text, the QR's
 * white field). A certificate's own page content is a further stream after
 * them in each page's /Contents array (ISO 32000-1 §7.8.2: the streams of
 * the array are one content stream).
 */
export const A4: [number, number] = [595.28, 841.89];
export const M = 50;
export const NAVY = rgb(0.09, 0.16, 0.31);
export const GREY = rgb(0.38, 0.4, 0.45);
export const RULE = rgb(0.82, 0.84, 0.88);
export const QR_SIZE = 100;
export const QR_X = A4[0] - M - QR_SIZE + 8;
export const QR_Y = 50;

export type Labels = (typeof PDF_LABELS)[PdfLocale];
export type Logo = { bytes: Uint8Array; contentType: string } | null | undefined;

export type Template = {
	head: { bytes: Uint8Array; offsets: readonly number[]; next: number };
	labels: Labels;
	fonts: Fonts;
	resources: number;
	/** drawn on every page */
	chrome: number;
	/** drawn on page 1 only */
	first: number;
	hasLogo: boolean;
	/** where the issuer name goes, and where the flow continues below the title */
	issuer: { y: number; size: number; font: FontKey };
	flowY: number;
	verifyUrlY: number;
};

/** Splits text into lines of at most `width` points (breaking long tokens such as hashes too). */
export function wrap(text: string, font: Face, size: number, width: number): string[] {
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

/** Type 0 font with an Identity-H CIDFontType2 descendant (§9.7.4, §9.7.6.1), as pdf-lib writes one. */
function writeFont(f: PdfFile, p: Prepared): number {
	const [file, descriptor, cid, toUnicode, font] = [f.alloc(), f.alloc(), f.alloc(), f.alloc(), f.alloc()];
	f.stream(file, ` /Filter /FlateDecode /Length1 ${p.fontFile.length1}`, p.fontFile.deflated);
	const d = p.descriptor;
	f.object(descriptor, `<< /Type /FontDescriptor /FontName /${p.baseFont} /Flags ${d.flags} /FontBBox [${d.bbox.map(num).join(' ')}] /ItalicAngle ${num(d.italicAngle)} /Ascent ${num(d.ascent)} /Descent ${num(d.descent)} /CapHeight ${num(d.capHeight)} /XHeight ${num(d.xHeight)} /StemV 0 /FontFile2 ${ref(file)} >>`);
	f.object(cid, `<< /Type /Font /Subtype /CIDFontType2 /CIDToGIDMap /Identity /BaseFont /${p.baseFont} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor ${ref(descriptor)} /W [0 [${p.widths.map(num).join(' ')}]] >>`);
	f.stream(toUnicode, ' /Filter /FlateDecode', p.toUnicode);
	f.object(font, `<< /Type /Font /Subtype /Type0 /BaseFont /${p.baseFont} /Encoding /Identity-H /DescendantFonts [${ref(cid)}] /ToUnicode ${ref(toUnicode)} >>`);
	return font;
}

/**
 * The logo as an image XObject (with its soft mask for a PNG with alpha),
 * decoded by pdf-lib's embedders in a scratch context numbered from our next
 * object, then written object by object. Null for a logo pdf-lib cannot read
 * (e.g. interlaced PNG): left out rather than failing the certificate.
 */
async function writeLogo(f: PdfFile, logo: Logo): Promise<{ ref: number; width: number; height: number } | null> {
	if (!logo) return null;
	let embedder: PngEmbedder | JpegEmbedder;
	try {
		if (logo.contentType === 'image/png') embedder = await PngEmbedder.for(logo.bytes);
		else if (logo.contentType === 'image/jpeg') embedder = await JpegEmbedder.for(logo.bytes);
		else return null;
	} catch {
		return null;
	}
	const ctx = PDFContext.create();
	ctx.largestObjectNumber = f.next - 1;
	const image = await embedder.embedIntoContext(ctx, ctx.nextRef());
	const objects = ctx.enumerateIndirectObjects().sort(([a], [b]) => a.objectNumber - b.objectNumber);
	for (const [r, obj] of objects) {
		if (r.objectNumber !== f.next) throw new Error('logo objects are not numbered consecutively');
		const buf = new Uint8Array(obj.sizeInBytes());
		obj.copyBytesInto(buf, 0);
		f.alloc();
		f.object(r.objectNumber, Buffer.from(buf).toString('latin1'));
	}
	return { ref: (image as PDFRef).objectNumber, width: embedder.width, height: embedder.height };
}

async function build(locale: PdfLocale, logo: Logo, set: Record<FontKey, Prepared>, collect?: Set<number>): Promise<Template> {
	const L = PDF_LABELS[locale];
	const f = new PdfFile();
	const fontRefs = { regular: writeFont(f, set.regular), bold: writeFont(f, set.bold), mono: writeFont(f, set.mono) };
	const fonts: Fonts = { regular: new Face('regular', 'F1', set.regular, collect), bold: new Face('bold', 'F2', set.bold, collect), mono: new Face('mono', 'F3', set.mono, collect) };
	const image = await writeLogo(f, logo);
	const resources = f.alloc();
	f.object(resources, `<< /Font << /F1 ${ref(fontRefs.regular)} /F2 ${ref(fontRefs.bold)} /F3 ${ref(fontRefs.mono)} >>${image ? ` /XObject << /Im1 ${ref(image.ref)} >>` : ''} >>`);

	const chrome = new Canvas();
	chrome.rect({ x: 0, y: A4[1] - 10, width: A4[0], height: 10, color: NAVY });
	chrome.line({ start: { x: M, y: 40 }, end: { x: A4[0] - M, y: 40 }, thickness: 0.5, color: RULE });
	for (const [i, l] of wrap(L.footer, fonts.regular, 7, A4[0] - 2 * M).entries()) chrome.text(l, { x: M, y: 19 - i * 9, size: 7, font: fonts.regular, color: GREY });

	// page 1's header: as the flow lays it out from the top margin
	const first = new Canvas();
	const top = A4[1] - M;
	let headerBottom: number;
	let issuer: Template['issuer'];
	if (image) {
		const s = Math.min(140 / image.width, 46 / image.height, 1);
		first.image('Im1', { x: M, y: top - image.height * s, width: image.width * s, height: image.height * s });
		headerBottom = top - image.height * s - 6;
		issuer = { y: headerBottom - 10, size: 11, font: 'bold' };
		headerBottom -= 14;
	} else {
		issuer = { y: top - 16, size: 15, font: 'bold' };
		headerBottom = top - 22;
	}
	first.text(L.certificateId, { x: A4[0] - M - fonts.regular.widthOfTextAtSize(L.certificateId, 8.5), y: top - 10, size: 8.5, font: fonts.regular, color: GREY });
	let y = Math.min(headerBottom, top - 44) - 10;
	for (const [text, size, font, colour, gap] of [[L.title, 22, fonts.bold, NAVY, 2], [L.subtitle, 8.5, fonts.regular, GREY, 8]] as const) {
		for (const line of wrap(text, font, size, A4[0] - 2 * M)) {
			y -= size * 1.35;
			first.text(line, { x: M, y, size, font, color: colour });
		}
		y -= gap;
	}
	// the verify block at the bottom of page 1 (the flow stops above it); the QR and the address are the certificate's
	first.rect({ x: QR_X, y: QR_Y, width: QR_SIZE, height: QR_SIZE, color: rgb(1, 1, 1) });
	first.text(L.verify, { x: M, y: QR_Y + QR_SIZE - 18, size: 11, font: fonts.bold, color: NAVY });
	let qy = QR_Y + QR_SIZE - 34;
	for (const l of wrap(L.verifyText, fonts.regular, 8.5, A4[0] - 2 * M - QR_SIZE - 20)) {
		first.text(l, { x: M, y: qy, size: 8.5, font: fonts.regular, color: GREY });
		qy -= 11.5;
	}

	const [chromeRef, firstRef] = [f.alloc(), f.alloc()];
	f.flate(chromeRef, '', chrome.toString());
	f.flate(firstRef, '', first.toString());
	return { head: { bytes: f.bytes(), offsets: f.offsets, next: f.next }, labels: L, fonts, resources, chrome: chromeRef, first: firstRef, hasLogo: Boolean(image), issuer, flowY: y, verifyUrlY: qy };
}

/** Templates by locale and logo digest; tenants rarely change logos, so a few dozen cover a process. */
const cache = new Map<string, Promise<Template>>();
const MAX_TEMPLATES = 64;

/** Logo digests by bytes object: a batch hands every certificate of a tenant the same one. */
const logoDigests = new WeakMap<Uint8Array, string>();
function logoKey(logo: NonNullable<Logo>): string {
	let d = logoDigests.get(logo.bytes);
	if (!d) logoDigests.set(logo.bytes, (d = createHash('sha256').update(logo.bytes).digest('hex')));
	return `${logo.contentType}:${d}`;
}

/** The cached template of the per-process font subset. */
export async function certificateTemplate(locale: PdfLocale, logo: Logo): Promise<Template> {
	const key = `${locale}:${logo ? logoKey(logo) : '-'}`;
	let t = cache.get(key);
	if (!t) {
		if (cache.size >= MAX_TEMPLATES) cache.delete(cache.keys().next().value!);
		t = preparedFonts().then((set) => build(locale, logo, set));
		cache.set(key, t);
		t.catch(() => cache.delete(key));
	}
	return t;
}

/**
 * A template for one document whose text leaves the cached subset: built
 * with that document's own font subset, never cached. With `collect`, its
 * faces record characters instead of throwing (the pass that finds them).
 */
export function documentTemplate(locale: PdfLocale, logo: Logo, set: Record<FontKey, Prepared>, collect?: Set<number>): Promise<Template> {
	return build(locale, logo, set, collect);
}
