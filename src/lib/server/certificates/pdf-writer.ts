import { deflateSync } from 'node:zlib';

/**
 * A PDF file written front to back (ISO 32000-1 §7.5): header, numbered
 * indirect objects, one classic cross-reference table and trailer. Object
 * offsets are counted while writing, so nothing is parsed or searched
 * afterwards. A prepared template is the same thing stopped after its static
 * objects: a document starts from a copy of its offsets and shares its bytes.
 */
export class PdfFile {
	readonly parts: Uint8Array[];
	/** byte offset of each object by object number (index 0 unused: the free-list head) */
	readonly offsets: number[];
	length: number;
	/** the next free object number */
	next: number;

	constructor(from?: { bytes: Uint8Array; offsets: readonly number[]; next: number }) {
		if (from) {
			this.parts = [from.bytes];
			this.offsets = [...from.offsets];
			this.length = from.bytes.length;
			this.next = from.next;
		} else {
			this.parts = [];
			this.offsets = [0];
			this.length = 0;
			this.next = 1;
			// §7.5.2: version line, then a comment of four bytes above 127 so transfer tools treat the file as binary
			this.push(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'));
		}
	}

	/** Reserves an object number, to be written later (references may point forward, §7.3.10). */
	alloc(): number {
		return this.next++;
	}

	push(b: Uint8Array | string): void {
		const bytes = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
		this.parts.push(bytes);
		this.length += bytes.length;
	}

	/** `n 0 obj … endobj` with a dictionary, array or other direct object written as PDF syntax. */
	object(n: number, body: string): void {
		this.offsets[n] = this.length;
		this.push(`${n} 0 obj\n${body}\nendobj\n`);
	}

	/** A stream object (§7.3.8); `dict` is the dictionary's entries without /Length. */
	stream(n: number, dict: string, data: Uint8Array): void {
		this.offsets[n] = this.length;
		this.push(`${n} 0 obj\n<<${dict} /Length ${data.length}>>\nstream\n`);
		this.push(data);
		this.push('\nendstream\nendobj\n');
	}

	/** A FlateDecode stream (§7.4.4), deflated by node's zlib. */
	flate(n: number, dict: string, data: Uint8Array | string): void {
		this.stream(n, ` /Filter /FlateDecode${dict}`, deflateSync(typeof data === 'string' ? Buffer.from(data, 'latin1') : data));
	}

	/** The file's bytes so far, as one buffer (a template's head). */
	bytes(): Uint8Array {
		return Buffer.concat(this.parts, this.length);
	}

	/**
	 * Cross-reference table and trailer (§7.5.4, §7.5.5) for objects 1..next-1,
	 * every one written. Each entry is exactly 20 bytes.
	 */
	xrefAndTrailer(root: number, info: number, at = this.length): string {
		const rows = ['xref', `0 ${this.next}`, '0000000000 65535 f '];
		for (let n = 1; n < this.next; n++) {
			const o = this.offsets[n];
			if (o === undefined) throw new Error(`PDF object ${n} was reserved but never written`);
			rows.push(`${String(o).padStart(10, '0')} 00000 n `);
		}
		return `${rows.join('\n')}\ntrailer\n<< /Size ${this.next} /Root ${root} 0 R /Info ${info} 0 R >>\nstartxref\n${at}\n%%EOF\n`;
	}
}

export const ref = (n: number) => `${n} 0 R`;

/**
 * A text string (§7.9.2.2): printable ASCII as a literal string (with
 * `\`, `(`, `)` escaped, §7.3.4.2), anything else UTF-16BE with its byte order mark.
 */
export function textString(s: string): string {
	if (/^[\x20-\x7e]*$/.test(s)) return `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
	return utf16Text(s);
}

/**
 * A text string as UTF-16BE with its byte order mark, in hex (§7.9.2.2), for
 * ASCII too: how pdf-lib wrote the document information, the file
 * specification's /UF and /Desc and the embedded-files name tree key, which
 * readers of earlier certificates look up as such.
 */
export function utf16Text(s: string): string {
	let hex = 'FEFF';
	for (let i = 0; i < s.length; i++) hex += s.charCodeAt(i).toString(16).padStart(4, '0').toUpperCase();
	return `<${hex}>`;
}

/** A date (§7.9.4) in UTC: `(D:YYYYMMDDHHmmSSZ)`. */
export function dateString(d: Date): string {
	return `(D:${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;
}

/** A name (§7.3.5): bytes outside the regular characters written as #xx. */
export function name(s: string): string {
	return `/${s.replace(/[^!-~]|[#%()<>[\]{}/]/g, (c) => `#${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)}`;
}

/**
 * A certificate laid out, its signature object reserved but not written:
 * pades.ts writes the signature dictionary, cross-reference table and
 * trailer after it, knowing every offset (no re-parse, no search).
 */
export type PreparedPdf = { kind: 'prepared-pdf'; file: PdfFile; root: number; info: number; signature: number };
