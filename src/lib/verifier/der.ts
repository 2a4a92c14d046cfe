/**
 * A small strict DER reader (ITU-T X.690 §10): definite, minimal lengths only,
 * so every value has one encoding and a parsed element's `raw` bytes are the
 * bytes that were signed. Enough for CMS SignedData (RFC 5652), X.509
 * certificates (RFC 5280) and RFC 3161 timestamp tokens.
 */

export class DerError extends Error {}

export type Der = {
	/** identifier octet (single-byte tags only: X.509 and CMS need no others) */
	tag: number;
	/** the whole element: identifier, length and contents */
	raw: Uint8Array;
	/** the contents octets */
	value: Uint8Array;
};

export const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, UTF8: 0x0c, SEQUENCE: 0x30, SET: 0x31, PRINTABLE: 0x13, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18 } as const;
/** context-specific constructed [n] */
export const ctx = (n: number) => 0xa0 | n;

/** Reads one element at `at`; returns it and the offset after it. */
export function readElement(b: Uint8Array, at = 0): { el: Der; end: number } {
	if (at + 2 > b.length) throw new DerError('truncated DER element');
	const tag = b[at];
	if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
	let len = b[at + 1];
	let head = 2;
	if (len & 0x80) {
		const n = len & 0x7f;
		if (n === 0) throw new DerError('indefinite length is not DER');
		if (n > 4 || at + 2 + n > b.length) throw new DerError('DER length too large');
		len = 0;
		for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i];
		// X.690 §10.1: the shortest length form
		if (len < 0x80 || b[at + 2] === 0) throw new DerError('non-minimal DER length');
		head += n;
	}
	const end = at + head + len;
	if (end > b.length) throw new DerError('truncated DER element');
	return { el: { tag, raw: b.subarray(at, end), value: b.subarray(at + head, end) }, end };
}

/** Parses exactly one element filling `b`. */
export function parse(b: Uint8Array): Der {
	const { el, end } = readElement(b, 0);
	if (end !== b.length) throw new DerError('bytes after the DER element');
	return el;
}

/** The child elements of a constructed element. */
export function children(el: Der): Der[] {
	if (!(el.tag & 0x20)) throw new DerError('not a constructed DER element');
	const out: Der[] = [];
	for (let at = 0; at < el.value.length; ) {
		const r = readElement(el.value, at);
		out.push(r.el);
		at = r.end;
	}
	return out;
}

export function expect(el: Der | undefined, tag: number, what: string): Der {
	if (!el || el.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${el ? '0x' + el.tag.toString(16) : 'nothing'}`);
	return el;
}

/** Children of a SEQUENCE (or other constructed tag) after checking its tag. */
export const seq = (el: Der | undefined, what: string, tag: number = TAG.SEQUENCE): Der[] => children(expect(el, tag, what));

export function oid(el: Der | undefined): string {
	const v = expect(el, TAG.OID, 'object identifier').value;
	if (!v.length) throw new DerError('empty OID');
	const parts: number[] = [];
	let n = 0;
	for (let i = 0; i < v.length; i++) {
		if (n === 0 && v[i] === 0x80) throw new DerError('non-minimal OID');
		n = n * 128 + (v[i] & 0x7f);
		if (!(v[i] & 0x80)) {
			if (!parts.length) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
			else parts.push(n);
			n = 0;
		} else if (i === v.length - 1) throw new DerError('truncated OID');
	}
	return parts.join('.');
}

/** Small non-negative INTEGER as a number (versions). */
export function smallInt(el: Der | undefined): number {
	const v = expect(el, TAG.INTEGER, 'integer').value;
	if (!v.length || v.length > 4 || v[0] & 0x80) throw new DerError('integer out of range');
	return v.reduce((n, x) => n * 256 + x, 0);
}

/** INTEGER contents without the sign octet (positive integers: serial numbers, ECDSA r and s). */
export function unsignedInt(el: Der | undefined): Uint8Array {
	const v = expect(el, TAG.INTEGER, 'integer').value;
	if (!v.length) throw new DerError('empty integer');
	if (v.length > 1 && ((v[0] === 0 && !(v[1] & 0x80)) || (v[0] === 0xff && v[1] & 0x80))) throw new DerError('non-minimal integer');
	return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
}

/** BIT STRING contents with no unused bits (keys and signatures). */
export function bitString(el: Der | undefined): Uint8Array {
	const v = expect(el, TAG.BIT_STRING, 'bit string').value;
	if (!v.length || v[0] !== 0) throw new DerError('bit string with unused bits');
	return v.subarray(1);
}

/** GeneralizedTime (RFC 5280 §4.1.2.5.2 / RFC 3161 genTime, optional fraction) as an ISO string. */
export function generalizedTime(el: Der | undefined): string {
	const s = new TextDecoder().decode(expect(el, TAG.GENERALIZED_TIME, 'time').value);
	const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\.\d+)?Z$/.exec(s);
	if (!m) throw new DerError('malformed GeneralizedTime');
	return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}Z`).toISOString();
}
