import { deflateSync } from 'node:zlib';
import fontkit from '@pdf-lib/fontkit';
import { CustomFontEmbedder, PDFFont, PDFHexString, PDFName, PDFRawStream, PDFString, type PDFContext, type PDFDocument, type PDFRef } from 'pdf-lib';
import { certificateFonts } from './pdf-fonts';
import { PDF_LABELS } from './pdf-labels';

/**
 * Certificate fonts prepared ONCE per process (PDF render was
 * ~70 ms a certificate, nearly all of it fontkit parsing the 700 KB DejaVu
 * files and running OpenType shaping for every measured and drawn string,
 * then re-subsetting and deflating the fonts at every save).
 *
 * Here each font is cut to a fixed subset (Basic Latin, Latin-1, Latin
 * Extended-A, general punctuation, €, ™, −, and whatever the labels of
 * every locale use), encoded and deflated once; per document only a handful
 * of small dictionaries pointing at the shared, already compressed bytes are
 * added. Text is mapped through the cmap and measured with the advance widths
 * (no shaping: the drawn glyphs are exactly the measured ones, no kerning or
 * ligatures, which also keeps text extraction exact).
 *
 * The certificate template (pdf-template.ts) writes these font objects once
 * per template; the statement PDF embeds them through pdf-lib
 * (embedPreparedFonts). A string with a character outside the subset throws
 * OutsideFontSubset; the certificate then gets a subset of its own
 * (documentFonts), the statement pdf-lib's full-font subsetting.
 */
export class OutsideFontSubset extends Error {
	constructor(readonly codePoint: number) {
		super(`U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} is not in the cached certificate font subset`);
		this.name = 'OutsideFontSubset';
	}
}

export type FontKey = 'regular' | 'bold' | 'mono';

export type Prepared = {
	/** PostScript name, with a subset tag (ISO 32000-1 §9.6.4) for the per-process subset */
	baseFont: string;
	/** code point → glyph id in the subset */
	gid: Map<number, number>;
	/** advance width per subset glyph id, in 1/1000 em */
	widths: number[];
	fontFile: { deflated: Uint8Array; length1: number };
	toUnicode: Uint8Array;
	descriptor: { flags: number; bbox: number[]; italicAngle: number; ascent: number; descent: number; capHeight: number; xHeight: number };
	/** unscaled metrics for heightOfFontAtSize / sizeOfFontAtHeight */
	yTop: number;
	yBottom: number;
	descent: number;
};

function subsetCodePoints(): number[] {
	const set = new Set<number>();
	const range = (a: number, b: number) => {
		for (let c = a; c <= b; c++) set.add(c);
	};
	range(0x20, 0x7e);
	// Latin-1 and Latin Extended-A (names with ł, č, ş …): only ~4 KB more per face than Latin-1 alone (DejaVu's
	// hinting tables dominate the subset), against ~100 ms for a document that falls back
	range(0xa0, 0x17f);
	range(0x2010, 0x2027);
	range(0x2030, 0x203a);
	for (const c of [0x2044, 0x20ac, 0x2122, 0x2212, 0x2026, 0x2022]) set.add(c);
	// whatever the label tables of every locale use (a new language must not fall back for its own labels)
	const scan = (v: unknown): void => {
		if (typeof v === 'string') for (const ch of v) set.add(ch.codePointAt(0)!);
		else if (typeof v === 'function') scan(String(v(1, 'x')));
		else if (v && typeof v === 'object') Object.values(v).forEach(scan);
	};
	scan(PDF_LABELS);
	set.delete(0x0a);
	return [...set].sort((a, b) => a - b);
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const utf16Hex = (cp: number) => (cp > 0xffff ? hex4(0xd800 + ((cp - 0x10000) >> 10)) + hex4(0xdc00 + ((cp - 0x10000) & 0x3ff)) : hex4(cp));

function toUnicodeCmap(entries: [number, number][]): string {
	// ISO 32000-1 §9.10.3; at most 100 entries per beginbfchar block
	const blocks: string[] = [];
	for (let i = 0; i < entries.length; i += 100) {
		const part = entries.slice(i, i + 100);
		blocks.push(`${part.length} beginbfchar\n${part.map(([g, cp]) => `<${hex4(g)}> <${utf16Hex(cp)}>`).join('\n')}\nendbfchar`);
	}
	return `/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo <<\n  /Registry (Adobe)\n  /Ordering (UCS)\n  /Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000><ffff>\nendcodespacerange\n${blocks.join('\n')}\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend`;
}

async function prepare(bytes: Uint8Array, tag: string | null, codePoints: number[] = subsetCodePoints(), missing: 'skip' | 'notdef' = 'skip'): Promise<Prepared> {
	const font = fontkit.create(bytes);
	const scale = 1000 / font.unitsPerEm;
	const subset = font.createSubset();
	const gid = new Map<number, number>();
	const byGid = new Map<number, number>();
	const widths: number[] = [font.getGlyph(0).advanceWidth * scale];
	for (const cp of codePoints) {
		const glyph = font.glyphForCodePoint(cp);
		if (!glyph || glyph.id === 0) {
			// not in this font: the cached subset makes such text fall back; a document's own subset shows .notdef
			if (missing === 'notdef') gid.set(cp, 0);
			continue;
		}
		const id = subset.includeGlyph(glyph);
		gid.set(cp, id);
		if (!byGid.has(id)) byGid.set(id, cp);
		widths[id] = glyph.advanceWidth * scale;
	}
	// an encoding error throws inside the executor, which rejects the promise
	const ttf = await new Promise<Uint8Array>((resolve) => {
		const parts: Uint8Array[] = [];
		subset
			.encodeStream()
			.on('data', (b: Uint8Array) => parts.push(b))
			.on('end', () => resolve(Buffer.concat(parts)));
	});
	// components of composite glyphs join the subset while encoding; text never addresses them, so W stops before them
	for (let i = 0; i < widths.length; i++) widths[i] ??= 0;
	const { italicAngle, ascent, descent, capHeight, xHeight, bbox } = font;
	const os2 = (font as unknown as { 'OS/2'?: { sFamilyClass: number } })['OS/2'];
	const familyClass = os2 ? os2.sFamilyClass : 0;
	const fixedPitch = Boolean((font as unknown as { post: { isFixedPitch: number } }).post.isFixedPitch);
	const italic = Boolean((font as unknown as { head: { macStyle: { italic?: boolean } } }).head.macStyle.italic);
	// the flags pdf-lib derives (pdfkit's rule): symbolic always, as for any CID font
	const flags = (fixedPitch ? 1 : 0) | (familyClass >= 1 && familyClass <= 7 ? 2 : 0) | 4 | (familyClass === 10 ? 8 : 0) | (italic ? 64 : 0);
	return {
		baseFont: tag ? `${tag}+${font.postscriptName}` : String(font.postscriptName),
		gid,
		widths,
		fontFile: { deflated: new Uint8Array(deflateSync(ttf, { level: 9 })), length1: ttf.length },
		toUnicode: new Uint8Array(deflateSync(toUnicodeCmap([...byGid].sort((a, b) => a[0] - b[0])))),
		descriptor: {
			flags,
			bbox: [bbox.minX * scale, bbox.minY * scale, bbox.maxX * scale, bbox.maxY * scale],
			italicAngle,
			ascent: ascent * scale,
			descent: descent * scale,
			capHeight: (capHeight || ascent) * scale,
			xHeight: (xHeight || 0) * scale
		},
		yTop: (ascent || bbox.maxY) * scale,
		yBottom: (descent || bbox.minY) * scale,
		descent: descent * scale
	};
}

let prepared: Promise<Record<FontKey, Prepared>> | undefined;

/** The three certificate fonts, subset and compressed once per process. */
export function preparedFonts(): Promise<Record<FontKey, Prepared>> {
	prepared ??= (async () => {
		const f = certificateFonts();
		// distinct six-letter subset tags per face (ISO 32000-1 §9.6.4)
		const [regular, bold, mono] = await Promise.all([prepare(f.regular, 'WCLATA'), prepare(f.bold, 'WCLATB'), prepare(f.mono, 'WCLATC')]);
		return { regular, bold, mono };
	})();
	prepared.catch(() => (prepared = undefined));
	return prepared;
}

/**
 * The three faces cut for one document whose text leaves the cached subset
 * (Greek, CJK …): the cached subset's characters plus the document's. Slow
 * (fontkit parses the whole fonts) and rare; nothing is kept. The BaseFont
 * carries no subset tag, as pdf-lib's per-document subsets did before.
 */
export async function documentFonts(text: Iterable<string>): Promise<Record<FontKey, Prepared>> {
	const set = new Set(subsetCodePoints());
	for (const s of text) for (const ch of s) set.add(ch.codePointAt(0)!);
	set.delete(0x0a);
	const cps = [...set].sort((a, b) => a - b);
	const f = certificateFonts();
	const [regular, bold, mono] = await Promise.all([prepare(f.regular, null, cps, 'notdef'), prepare(f.bold, null, cps, 'notdef'), prepare(f.mono, null, cps, 'notdef')]);
	return { regular, bold, mono };
}

/**
 * For pdf-lib documents (the statement): pdf-lib's embedder contract (PDFFont only accepts a CustomFontEmbedder),
 * answered from the prepared data instead of a fontkit font.
 */
class PreparedFontEmbedder extends CustomFontEmbedder {
	constructor(private readonly p: Prepared) {
		// the base class only keeps these; every method it would use them in is overridden
		super({ unitsPerEm: 1000, postscriptName: p.baseFont } as never, new Uint8Array(0));
	}

	private gids(text: string): number[] {
		const out: number[] = [];
		for (const ch of text) {
			const cp = ch.codePointAt(0)!;
			const g = this.p.gid.get(cp);
			if (g === undefined) throw new OutsideFontSubset(cp);
			out.push(g);
		}
		return out;
	}

	override encodeText(text: string): PDFHexString {
		let hex = '';
		for (const g of this.gids(text)) hex += hex4(g);
		return PDFHexString.of(hex);
	}

	override widthOfTextAtSize(text: string, size: number): number {
		let w = 0;
		for (const g of this.gids(text)) w += this.p.widths[g];
		return (w * size) / 1000;
	}

	override heightOfFontAtSize(size: number, options: { descender?: boolean } = {}): number {
		let height = this.p.yTop - this.p.yBottom;
		if (options.descender === false) height -= Math.abs(this.p.descent) || 0;
		return (height / 1000) * size;
	}

	override sizeOfFontAtHeight(height: number): number {
		return (1000 * height) / (this.p.yTop - this.p.yBottom);
	}

	override async embedIntoContext(context: PDFContext, ref?: PDFRef): Promise<PDFRef> {
		const p = this.p;
		const fontFile = context.register(PDFRawStream.of(context.obj({ Filter: 'FlateDecode', Length1: p.fontFile.length1 }), p.fontFile.deflated));
		const d = p.descriptor;
		const descriptor = context.register(
			context.obj({
				Type: 'FontDescriptor',
				FontName: p.baseFont,
				Flags: d.flags,
				FontBBox: d.bbox,
				ItalicAngle: d.italicAngle,
				Ascent: d.ascent,
				Descent: d.descent,
				CapHeight: d.capHeight,
				XHeight: d.xHeight,
				StemV: 0,
				FontFile2: fontFile
			})
		);
		const cidFont = context.register(
			context.obj({
				Type: 'Font',
				Subtype: 'CIDFontType2',
				CIDToGIDMap: 'Identity',
				BaseFont: p.baseFont,
				CIDSystemInfo: { Registry: PDFString.of('Adobe'), Ordering: PDFString.of('Identity'), Supplement: 0 },
				FontDescriptor: descriptor,
				W: [0, p.widths]
			})
		);
		const toUnicode = context.register(PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), p.toUnicode));
		const dict = context.obj({ Type: 'Font', Subtype: 'Type0', BaseFont: PDFName.of(p.baseFont), Encoding: 'Identity-H', DescendantFonts: [cidFont], ToUnicode: toUnicode });
		if (ref) {
			context.assign(ref, dict);
			return ref;
		}
		return context.register(dict);
	}
}

/** The certificate fonts of one document, from the per-process cache (embedded right away: nothing depends on the text drawn). */
export async function embedPreparedFonts(doc: PDFDocument): Promise<Record<FontKey, PDFFont>> {
	const p = await preparedFonts();
	const one = async (key: FontKey) => {
		const font = PDFFont.of(doc.context.nextRef(), doc, new PreparedFontEmbedder(p[key]));
		await font.embed();
		return font;
	};
	return { regular: await one('regular'), bold: await one('bold'), mono: await one('mono') };
}
