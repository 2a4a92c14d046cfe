/**
 * Byte helpers of the verification core. Browser-safe: no Buffer, no
 * node:crypto; SHA-256 comes from WebCrypto (globalThis.crypto.subtle, in
 * every browser and in Node.js ≥ 20).
 */

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const fromUtf8 = (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b);

/** The bytes as an ArrayBuffer of their own (WebCrypto wants a BufferSource without offsets surprises). */
export const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer as ArrayBuffer;

export function concat(...parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

export const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function fromHex(s: string): Uint8Array | null {
	if (s.length % 2 || !/^[0-9a-fA-F]*$/.test(s)) return null;
	const out = new Uint8Array(s.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
	return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** RFC 4648 §4 base64 with padding. */
export function toBase64(b: Uint8Array): string {
	let out = '';
	for (let i = 0; i < b.length; i += 3) {
		const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
		out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < b.length ? B64[n & 63] : '=');
	}
	return out;
}

/** Strict RFC 4648 §4 base64 (padded, canonical); null when malformed. */
export function fromBase64(s: string): Uint8Array | null {
	if (s.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
	const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
	const out = new Uint8Array((s.length / 4) * 3 - pad);
	let o = 0;
	for (let i = 0; i < s.length; i += 4) {
		const v = [0, 1, 2, 3].map((k) => (s[i + k] === '=' ? 0 : B64.indexOf(s[i + k])));
		const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
		for (const x of [(n >> 16) & 255, (n >> 8) & 255, n & 255]) if (o < out.length) out[o++] = x;
	}
	// canonical: the bits a padded final group does not use must be zero
	return toBase64(out) === s ? out : null;
}

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(parts.length === 1 ? parts[0] : concat(...parts))));
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
	return toHex(await sha256(data));
}
