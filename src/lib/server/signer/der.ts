/**
 * A strict DER reader (ITU-T X.690 §10) for untrusted input: the proofs agents
 * send. It accepts the Distinguished Encoding Rules only, which is what
 * RFC 5652 §1.1.1 asks of signed attributes and what every agent we know
 * writes for the whole message:
 * - definite lengths only (§10.1): the indefinite form (0x80) is refused;
 * - lengths in the fewest octets (§10.1, §8.1.3.5 note 2): no leading zero
 *   octet, no long form below 128, at most four length octets;
 * - tag numbers of 31 and more in the fewest octets (§8.1.2.4.2 c);
 * - every element within its parent, one element spanning the whole input;
 * - nesting at most `maxDepth` deep, at most `maxElements` elements, so a
 *   hostile file costs time linear in its size and a bounded stack.
 * It does not check value rules it has no use for (SET OF ordering, BIT STRING
 * padding of elements it never reads); the CMS readers check what they read.
 *
 * Failures throw DerError; nothing else escapes for any input.
 */

export class DerError extends Error {
	override name = 'DerError';
}

/** One element: offsets into `bytes`; `children` are read for constructed elements only. */
export type Der = {
	bytes: Uint8Array;
	/** X.690 identifier as one number: class << 6 | constructed << 5 | number (numbers ≥ 31 never equal a low-tag constant) */
	id: number;
	constructed: boolean;
	start: number;
	valueStart: number;
	end: number;
	children: Der[];
};

export const TAG = {
	INTEGER: 0x02,
	BIT_STRING: 0x03,
	OCTET_STRING: 0x04,
	NULL: 0x05,
	OID: 0x06,
	SEQUENCE: 0x30,
	SET: 0x31,
	/** context-specific [n], constructed (EXPLICIT, or IMPLICIT of a constructed type) */
	ctx: (n: number) => 0xa0 | n,
	/** context-specific [n], primitive (IMPLICIT of a primitive type) */
	ctxPrim: (n: number) => 0x80 | n
} as const;

export type DerLimits = { maxDepth?: number; maxElements?: number };

/** Parses `bytes` as exactly one DER element; DerError otherwise. */
export function parseDer(bytes: Uint8Array, limits: DerLimits = {}): Der {
	const state = { elements: 0, maxElements: limits.maxElements ?? 20_000, maxDepth: limits.maxDepth ?? 32 };
	const root = element(bytes, 0, bytes.length, 1, state);
	if (root.end !== bytes.length) throw new DerError(`not DER: ${bytes.length - root.end} bytes after the element`);
	return root;
}

function element(bytes: Uint8Array, at: number, limit: number, depth: number, state: { elements: number; maxElements: number; maxDepth: number }): Der {
	if (depth > state.maxDepth) throw new DerError(`not DER: nested deeper than ${state.maxDepth}`);
	if (++state.elements > state.maxElements) throw new DerError(`not DER: more than ${state.maxElements} elements`);
	const start = at;
	if (at >= limit) throw new DerError(`not DER: truncated at byte ${at}`);
	const first = bytes[at++];
	const constructed = (first & 0x20) !== 0;
	let num = first & 0x1f;
	if (num === 0x1f) {
		// high tag number form (§8.1.2.4): base 128, no leading 0x80 octet, and only for numbers ≥ 31
		num = 0;
		for (let n = 0; ; n++) {
			if (at >= limit) throw new DerError(`not DER: truncated tag at byte ${at}`);
			const b = bytes[at++];
			if (n === 0 && b === 0x80) throw new DerError('not DER: tag number with a leading zero octet');
			if (n === 3) throw new DerError('not DER: tag number too large');
			num = num * 128 + (b & 0x7f);
			if (!(b & 0x80)) break;
		}
		if (num < 31) throw new DerError('not DER: a tag number below 31 in the high tag number form');
	}
	if (at >= limit) throw new DerError(`not DER: truncated length at byte ${at}`);
	let len = bytes[at++];
	if (len === 0x80) throw new DerError('not DER: indefinite length (X.690 §10.1)');
	if (len > 0x80) {
		const count = len & 0x7f;
		if (count > 4) throw new DerError(`not DER: a length of ${count} octets`);
		if (at + count > limit) throw new DerError(`not DER: truncated length at byte ${at}`);
		if (bytes[at] === 0) throw new DerError('not DER: length with a leading zero octet');
		len = 0;
		for (let i = 0; i < count; i++) len = len * 256 + bytes[at++];
		if (len < 0x80) throw new DerError('not DER: long-form length below 128');
	}
	const valueStart = at;
	if (len > limit - valueStart) throw new DerError(`not DER: a length of ${len} runs past the end (${limit - valueStart} bytes left)`);
	const end = valueStart + len;
	const id = ((first & 0xc0) >> 6) * 64 + (constructed ? 32 : 0) + num;
	const children: Der[] = [];
	if (constructed) {
		for (let p = valueStart; p < end; ) {
			const child = element(bytes, p, end, depth + 1, state);
			children.push(child);
			p = child.end;
		}
	}
	return { bytes, id, constructed, start, valueStart, end, children };
}

export const value = (d: Der): Uint8Array => d.bytes.subarray(d.valueStart, d.end);
/** The element's whole encoding (tag, length, value). */
export const raw = (d: Der): Uint8Array => d.bytes.subarray(d.start, d.end);

const HEX = (id: number) => `0x${id.toString(16).padStart(2, '0')}`;

/** The element itself when its identifier is `id`; DerError naming `what` otherwise (or when it is absent). */
export function expectTag(d: Der | undefined, id: number, what: string): Der {
	if (!d) throw new DerError(`${what} is missing`);
	if (d.id !== id) throw new DerError(`${what}: expected tag ${HEX(id)}, found ${HEX(d.id)}`);
	return d;
}

/** Children of a constructed element, with a count check. */
export function items(d: Der, what: string, min: number, max = min): Der[] {
	if (d.children.length < min || d.children.length > max) {
		throw new DerError(`${what}: ${d.children.length} elements, expected ${min === max ? min : `${min} to ${max}`}`);
	}
	return d.children;
}

/** OBJECT IDENTIFIER (X.690 §8.19) as dotted decimal; subidentifiers in the fewest octets. */
export function oid(d: Der | undefined, what: string): string {
	const v = value(expectTag(d, TAG.OID, what));
	if (!v.length) throw new DerError(`${what}: empty OBJECT IDENTIFIER`);
	const arcs: number[] = [];
	let n = 0;
	let fresh = true;
	for (const b of v) {
		if (fresh && b === 0x80) throw new DerError(`${what}: OBJECT IDENTIFIER subidentifier with a leading zero octet`);
		if (n > 2 ** 45) throw new DerError(`${what}: OBJECT IDENTIFIER arc too large`);
		n = n * 128 + (b & 0x7f);
		fresh = !(b & 0x80);
		if (fresh) {
			if (!arcs.length) arcs.push(n < 40 ? 0 : n < 80 ? 1 : 2, n < 80 ? n % 40 : n - 80);
			else arcs.push(n);
			n = 0;
		}
	}
	if (!fresh) throw new DerError(`${what}: truncated OBJECT IDENTIFIER`);
	return arcs.join('.');
}

/** INTEGER contents (two's complement, X.690 §8.3), checked to be in the fewest octets. */
export function integerBytes(d: Der | undefined, what: string): Uint8Array {
	const v = value(expectTag(d, TAG.INTEGER, what));
	if (!v.length) throw new DerError(`${what}: empty INTEGER`);
	if (v.length > 1 && ((v[0] === 0 && !(v[1] & 0x80)) || (v[0] === 0xff && v[1] & 0x80))) throw new DerError(`${what}: INTEGER not in the fewest octets`);
	return v;
}

/** A small non-negative INTEGER (versions, lengths). */
export function smallInt(d: Der | undefined, what: string): number {
	const v = integerBytes(d, what);
	if (v[0] & 0x80 || v.length > 4) throw new DerError(`${what}: INTEGER out of range`);
	return v.reduce((n, b) => n * 256 + b, 0);
}

/** OCTET STRING contents (primitive, as DER requires, X.690 §10.2). */
export const octets = (d: Der | undefined, what: string): Uint8Array => value(expectTag(d, TAG.OCTET_STRING, what));

/** BIT STRING contents of a whole number of octets (public keys, signatures). */
export function bitStringOctets(d: Der | undefined, what: string): Uint8Array {
	const v = value(expectTag(d, TAG.BIT_STRING, what));
	if (!v.length || v[0] !== 0) throw new DerError(`${what}: BIT STRING with unused bits`);
	return v.subarray(1);
}

/** RFC 5280 AlgorithmIdentifier: the algorithm and its parameters (absent: null). */
export function algorithm(d: Der | undefined, what: string): { oid: string; params: Der | null } {
	const [id, params] = items(expectTag(d, TAG.SEQUENCE, what), what, 1, 2);
	return { oid: oid(id, `${what} algorithm`), params: params ?? null };
}

/** Parameters that are absent or NULL (both are seen for hash algorithms, RFC 5754 §2). */
export const absentOrNull = (params: Der | null): boolean => params === null || (params.id === TAG.NULL && params.end === params.valueStart);
