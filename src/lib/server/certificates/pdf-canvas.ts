import QRCode from 'qrcode';
import { OutsideFontSubset, type FontKey, type Prepared } from './pdf-font-cache';

/**
 * Page content written straight as PDF content-stream operators
 * (ISO 32000-1 §8, §9.4): the handful of operators a certificate uses, as one
 * string per page, instead of pdf-lib's operator objects serialised again at
 * every save. Every operation sets the colour and font it needs, so streams
 * can be concatenated in any order (a page's /Contents array, §7.8.2).
 */
export type Rgb = readonly [number, number, number];
export const rgb = (r: number, g: number, b: number): Rgb => [r, g, b];

/** Number as a PDF real (§7.3.3): three decimals are far below a device pixel. */
export const num = (n: number): string => {
	const r = Math.round(n * 1000) / 1000;
	return Object.is(r, -0) ? '0' : String(r);
};

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** A font face of the certificate: its resource name, measured and encoded from the prepared subset (no shaping). */
export class Face {
	private readonly encoded = new Map<string, string>();
	/** with `collect`, characters outside the subset are recorded (and drawn as .notdef) instead of thrown */
	constructor(
		readonly key: FontKey,
		readonly resource: string,
		private readonly p: Prepared,
		private readonly collect?: Set<number>
	) {}

	private gid(cp: number): number {
		const g = this.p.gid.get(cp);
		if (g !== undefined) return g;
		if (!this.collect) throw new OutsideFontSubset(cp);
		this.collect.add(cp);
		return 0;
	}

	/** Identity-H: two-byte glyph ids as one hex string (§9.7.5.2); labels repeat, so their encodings are kept. */
	encode(text: string): string {
		let hex = this.encoded.get(text);
		if (hex !== undefined) return hex;
		hex = '';
		for (const ch of text) hex += hex4(this.gid(ch.codePointAt(0)!));
		if (this.encoded.size < 512) this.encoded.set(text, hex);
		return hex;
	}

	widthOfTextAtSize(text: string, size: number): number {
		let w = 0;
		for (const ch of text) w += this.p.widths[this.gid(ch.codePointAt(0)!)] ?? 0;
		return (w * size) / 1000;
	}
}

export type Fonts = Record<FontKey, Face>;

/** One page's content stream under construction. */
export class Canvas {
	private ops: string[] = [];

	text(s: string, o: { x: number; y: number; size: number; font: Face; color?: Rgb }) {
		if (!s) return;
		const [r, g, b] = o.color ?? [0, 0, 0];
		this.ops.push(`BT\n${num(r)} ${num(g)} ${num(b)} rg\n/${o.font.resource} ${num(o.size)} Tf\n1 0 0 1 ${num(o.x)} ${num(o.y)} Tm\n<${o.font.encode(s)}> Tj\nET`);
	}

	rect(o: { x: number; y: number; width: number; height: number; color?: Rgb; borderColor?: Rgb; borderWidth?: number }) {
		const box = `${num(o.x)} ${num(o.y)} ${num(o.width)} ${num(o.height)} re`;
		const fill = o.color ? `${o.color.map(num).join(' ')} rg\n` : '';
		if (o.borderColor && o.borderWidth) this.ops.push(`q\n${fill}${o.borderColor.map(num).join(' ')} RG\n${num(o.borderWidth)} w\n${box}\n${o.color ? 'B' : 'S'}\nQ`);
		else if (o.color) this.ops.push(`${fill}${box}\nf`);
	}

	line(o: { start: { x: number; y: number }; end: { x: number; y: number }; thickness: number; color: Rgb }) {
		this.ops.push(`q\n${o.color.map(num).join(' ')} RG\n${num(o.thickness)} w\n${num(o.start.x)} ${num(o.start.y)} m\n${num(o.end.x)} ${num(o.end.y)} l\nS\nQ`);
	}

	/** An image XObject of the page's resources, scaled to the box (§8.9.4: unit square mapped by cm). */
	image(resource: string, o: { x: number; y: number; width: number; height: number }) {
		this.ops.push(`q\n${num(o.width)} 0 0 ${num(o.height)} ${num(o.x)} ${num(o.y)} cm\n/${resource} Do\nQ`);
	}

	/**
	 * QR code as vector squares: sharp at any zoom and print size. One path
	 * for all dark modules, a horizontal run of them as one rectangle.
	 */
	qr(text: string, x: number, y: number, size: number) {
		const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
		const n = qr.modules.size;
		const cell = size / (n + 8);
		const path: string[] = ['0 0 0 rg'];
		for (let r = 0; r < n; r++)
			for (let c = 0; c < n; c++) {
				if (!qr.modules.get(r, c)) continue;
				let end = c + 1;
				while (end < n && qr.modules.get(r, end)) end++;
				path.push(`${num(x + (c + 4) * cell)} ${num(y + size - (r + 5) * cell)} ${num((end - c) * cell)} ${num(cell)} re`);
				c = end - 1;
			}
		path.push('f');
		this.ops.push(path.join('\n'));
	}

	toString(): string {
		return this.ops.join('\n') + '\n';
	}
}
