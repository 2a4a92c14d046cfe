/**
 * Just enough of a PDF reader (ISO 32000-1 §7) to verify a WipeCert
 * certificate in a browser: the signature's /ByteRange and /Contents hole,
 * and one embedded file found through the classic cross-reference table,
 * the catalog's /Names → /EmbeddedFiles name tree and the file
 * specification's /EF stream (FlateDecode via DecompressionStream).
 * Every limit below turns a hostile file into an error, never a hang.
 */

export class PdfError extends Error {}

const MAX_DEPTH = 32;
const MAX_XREF_SECTIONS = 16;
const MAX_EMBEDDED_BYTES = 8 * 1024 * 1024;

class Name {
	constructor(readonly v: string) {}
}
class Ref {
	constructor(
		readonly n: number,
		readonly g: number
	) {}
}
class Str {
	constructor(readonly bytes: Uint8Array) {}
}
class Dict {
	constructor(readonly m: Map<string, Obj>) {}
	get(k: string) {
		return this.m.get(k);
	}
}
class Stream {
	constructor(
		readonly dict: Dict,
		readonly data: Uint8Array
	) {}
}
type Obj = number | boolean | null | Name | Ref | Str | Dict | Stream | Obj[];

/** The file as a string of one char per byte (offsets stay byte offsets). */
export function latin1(b: Uint8Array): string {
	let s = '';
	for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
	return s;
}

const WS = new Set([0, 9, 10, 12, 13, 32]);
const DELIM = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));

class Parser {
	p = 0;
	constructor(
		readonly b: Uint8Array,
		readonly doc: PdfDocument
	) {}

	ws() {
		for (;;) {
			while (this.p < this.b.length && WS.has(this.b[this.p])) this.p++;
			if (this.b[this.p] !== 0x25) return;
			while (this.p < this.b.length && this.b[this.p] !== 10 && this.b[this.p] !== 13) this.p++;
		}
	}

	word(): string {
		const start = this.p;
		while (this.p < this.b.length && !WS.has(this.b[this.p]) && !DELIM.has(this.b[this.p])) this.p++;
		return latin1(this.b.subarray(start, this.p));
	}

	peek(s: string): boolean {
		for (let i = 0; i < s.length; i++) if (this.b[this.p + i] !== s.charCodeAt(i)) return false;
		return true;
	}

	value(depth = 0): Obj {
		if (depth > MAX_DEPTH) throw new PdfError('PDF objects nested too deep');
		this.ws();
		const c = this.b[this.p];
		if (c === undefined) throw new PdfError('unexpected end of the PDF');
		if (this.peek('<<')) {
			this.p += 2;
			const m = new Map<string, Obj>();
			for (;;) {
				this.ws();
				if (this.peek('>>')) {
					this.p += 2;
					return new Dict(m);
				}
				const k = this.value(depth + 1);
				if (!(k instanceof Name)) throw new PdfError('a PDF dictionary key is not a name');
				m.set(k.v, this.value(depth + 1));
			}
		}
		if (c === 0x3c) return this.hex();
		if (c === 0x28) return this.literal();
		if (c === 0x5b) {
			this.p++;
			const out: Obj[] = [];
			for (;;) {
				this.ws();
				if (this.b[this.p] === 0x5d) {
					this.p++;
					return out;
				}
				out.push(this.value(depth + 1));
			}
		}
		if (c === 0x2f) {
			this.p++;
			return new Name(this.word().replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
		}
		const w = this.word();
		if (!w) throw new PdfError(`unexpected byte 0x${c.toString(16)} in the PDF`);
		if (w === 'true' || w === 'false') return w === 'true';
		if (w === 'null') return null;
		if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(w)) throw new PdfError(`unexpected PDF token ${w.slice(0, 20)}`);
		const n = Number(w);
		// `n g R`: an indirect reference
		if (/^\d+$/.test(w)) {
			const save = this.p;
			this.ws();
			const g = this.word();
			this.ws();
			if (/^\d+$/.test(g) && this.b[this.p] === 0x52 && (this.p + 1 >= this.b.length || WS.has(this.b[this.p + 1]) || DELIM.has(this.b[this.p + 1]))) {
				this.p++;
				return new Ref(n, Number(g));
			}
			this.p = save;
		}
		return n;
	}

	hex(): Str {
		const end = this.b.indexOf(0x3e, this.p);
		if (end < 0) throw new PdfError('unterminated hex string');
		let digits = latin1(this.b.subarray(this.p + 1, end)).replace(/[\0\t\n\f\r ]/g, '');
		this.p = end + 1;
		if (!/^[0-9a-fA-F]*$/.test(digits)) throw new PdfError('malformed hex string');
		if (digits.length % 2) digits += '0';
		return new Str(Uint8Array.from({ length: digits.length / 2 }, (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16)));
	}

	literal(): Str {
		const out: number[] = [];
		let nest = 0;
		this.p++;
		for (;;) {
			const c = this.b[this.p++];
			if (c === undefined) throw new PdfError('unterminated string');
			if (c === 0x28) nest++;
			else if (c === 0x29 && nest-- === 0) return new Str(Uint8Array.from(out));
			if (c !== 0x5c) {
				out.push(c);
				continue;
			}
			const e = this.b[this.p++];
			const simple: Record<number, number> = { 0x6e: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x66: 12, 0x28: 0x28, 0x29: 0x29, 0x5c: 0x5c };
			if (e in simple) out.push(simple[e]);
			else if (e >= 0x30 && e <= 0x37) {
				let v = e - 0x30;
				for (let k = 0; k < 2 && this.b[this.p] >= 0x30 && this.b[this.p] <= 0x37; k++) v = v * 8 + (this.b[this.p++] - 0x30);
				out.push(v & 0xff);
			} else if (e === 13) {
				if (this.b[this.p] === 10) this.p++;
			} else if (e !== 10) out.push(e);
		}
	}
}

export class PdfDocument {
	private readonly offsets = new Map<number, number>();
	private readonly cache = new Map<number, Obj>();
	readonly trailer: Dict;

	constructor(readonly bytes: Uint8Array) {
		const tail = latin1(bytes.subarray(Math.max(0, bytes.length - 1024)));
		const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
		if (!m) throw new PdfError('the file is not a PDF (no startxref)');
		let at: number | null = Number(m[1]);
		let trailer: Dict | null = null;
		for (let sections = 0; at !== null; sections++) {
			if (sections >= MAX_XREF_SECTIONS) throw new PdfError('too many cross-reference sections');
			const t = this.readXref(at);
			trailer ??= t;
			const prev = t.get('Prev');
			at = typeof prev === 'number' ? prev : null;
		}
		this.trailer = trailer!;
	}

	/** A classic `xref` table at `at`; the newest section wins (its entries are read first). */
	private readXref(at: number): Dict {
		const p = new Parser(this.bytes, this);
		p.p = at;
		if (p.word() !== 'xref') throw new PdfError('no classic cross-reference table (object streams are not supported)');
		for (;;) {
			p.ws();
			const first = p.word();
			if (first === 'trailer') break;
			p.ws();
			const count = p.word();
			if (!/^\d+$/.test(first) || !/^\d+$/.test(count)) throw new PdfError('malformed cross-reference table');
			p.ws();
			for (let i = 0; i < Number(count); i++) {
				const line = latin1(this.bytes.subarray(p.p, p.p + 20));
				const e = /^(\d{10}) (\d{5}) ([nf])[\r\n ]{2}$/.exec(line);
				if (!e) throw new PdfError('malformed cross-reference entry');
				const num = Number(first) + i;
				if (e[3] === 'n' && !this.offsets.has(num)) this.offsets.set(num, Number(e[1]));
				p.p += 20;
			}
		}
		const t = p.value();
		if (!(t instanceof Dict)) throw new PdfError('malformed trailer');
		return t;
	}

	/** Follows a reference (or returns the direct object). */
	resolve(o: Obj | undefined, depth = 0): Obj | undefined {
		if (!(o instanceof Ref)) return o;
		if (depth > MAX_DEPTH) throw new PdfError('reference chain too long');
		if (this.cache.has(o.n)) return this.cache.get(o.n);
		const at = this.offsets.get(o.n);
		if (at === undefined) return null;
		const p = new Parser(this.bytes, this);
		p.p = at;
		p.ws();
		if (Number(p.word()) !== o.n) throw new PdfError(`object ${o.n} is not where the cross-reference table says`);
		p.ws();
		p.word();
		p.ws();
		if (p.word() !== 'obj') throw new PdfError(`object ${o.n} is malformed`);
		let v = p.value();
		p.ws();
		if (v instanceof Dict && p.peek('stream')) {
			p.p += 6;
			if (p.b[p.p] === 13) p.p++;
			if (p.b[p.p] === 10) p.p++;
			const length = this.resolve(v.get('Length'), depth + 1);
			if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || p.p + length > this.bytes.length) throw new PdfError('a stream has no valid /Length');
			const data = this.bytes.subarray(p.p, p.p + length);
			p.p += length;
			p.ws();
			if (!p.peek('endstream')) throw new PdfError('a stream does not end where its /Length says');
			v = new Stream(v, data);
		}
		this.cache.set(o.n, v);
		return v;
	}

	dict(o: Obj | undefined): Dict | null {
		const v = this.resolve(o);
		return v instanceof Dict ? v : null;
	}
}

/** PDF text string (ISO 32000-1 §7.9.2.2): UTF-16BE with BOM, else PDFDocEncoding (its ASCII part suffices here). */
function text(s: Str): string {
	const b = s.bytes;
	if (b[0] === 0xfe && b[1] === 0xff) {
		let out = '';
		for (let i = 2; i + 1 < b.length; i += 2) out += String.fromCharCode((b[i] << 8) | b[i + 1]);
		return out;
	}
	return latin1(b);
}

async function inflate(data: Uint8Array): Promise<Uint8Array> {
	const stream = new Blob([data.slice()]).stream().pipeThrough(new DecompressionStream('deflate'));
	const reader = stream.getReader();
	const parts: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.length;
		if (size > MAX_EMBEDDED_BYTES) {
			await reader.cancel();
			throw new PdfError('the embedded file is too large');
		}
		parts.push(value);
	}
	const out = new Uint8Array(size);
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

/** The named embedded file's bytes (decoded), or null when the PDF has none of that name. */
export async function embeddedFile(doc: PdfDocument, fileName: string): Promise<Uint8Array | null> {
	const root = doc.dict(doc.trailer.get('Root'));
	const tree = doc.dict(doc.dict(root?.get('Names'))?.get('EmbeddedFiles'));
	const find = (node: Dict | null, depth: number): Dict | null => {
		if (!node || depth > MAX_DEPTH) return null;
		const names = doc.resolve(node.get('Names'));
		if (Array.isArray(names)) {
			for (let i = 0; i + 1 < names.length; i += 2) {
				const k = doc.resolve(names[i]);
				if (k instanceof Str && text(k) === fileName) return doc.dict(names[i + 1]);
			}
		}
		const kids = doc.resolve(node.get('Kids'));
		if (Array.isArray(kids)) for (const kid of kids) {
			const hit = find(doc.dict(kid), depth + 1);
			if (hit) return hit;
		}
		return null;
	};
	const spec = find(tree, 0);
	if (!spec) return null;
	const stream = doc.resolve(doc.dict(spec.get('EF'))?.get('F'));
	if (!(stream instanceof Stream)) throw new PdfError('the embedded file is unreadable');
	const filter = doc.resolve(stream.dict.get('Filter'));
	const filters = Array.isArray(filter) ? filter.map((f) => doc.resolve(f)) : filter === undefined || filter === null ? [] : [filter];
	let data = stream.data;
	for (const f of filters) {
		if (!(f instanceof Name) || f.v !== 'FlateDecode') throw new PdfError('the embedded file uses an unsupported filter');
		data = await inflate(data);
	}
	if (data.length > MAX_EMBEDDED_BYTES) throw new PdfError('the embedded file is too large');
	return data;
}
