/**
 * A minimal DER writer (X.690 §10): definite lengths in the fewest octets, the
 * caller composing elements in order. Enough for the envelopes WipeCert writes
 * to agents' recipients; certificates and signatures stay with pkijs.
 */

function lengthOctets(n: number): Buffer {
	if (n < 0x80) return Buffer.from([n]);
	const out: number[] = [];
	for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
	return Buffer.from([0x80 | out.length, ...out]);
}

/** One element: identifier octet, length, the concatenated parts. */
export function tlv(id: number, ...parts: Uint8Array[]): Buffer {
	const body = Buffer.concat(parts);
	return Buffer.concat([Buffer.from([id]), lengthOctets(body.length), body]);
}

export const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
export const set = (...parts: Uint8Array[]) => tlv(0x31, ...parts);
export const octetString = (b: Uint8Array) => tlv(0x04, b);
/** INTEGER of a small non-negative number. */
export function int(n: number): Buffer {
	const out: number[] = [];
	for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
	if (!out.length || out[0] & 0x80) out.unshift(0);
	return tlv(0x02, Buffer.from(out));
}
export const bitString = (b: Uint8Array) => tlv(0x03, Buffer.from([0]), b);

/** OBJECT IDENTIFIER from dotted decimal (X.690 §8.19). */
export function oid(dotted: string): Buffer {
	const arcs = dotted.split('.').map(Number);
	const subs = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
	const out: number[] = [];
	for (const s of subs) {
		const b: number[] = [s & 0x7f];
		for (let v = Math.floor(s / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
		out.push(...b);
	}
	return tlv(0x06, Buffer.from(out));
}
