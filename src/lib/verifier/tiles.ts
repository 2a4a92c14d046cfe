/**
 * C2SP tlog-tiles client side (https://c2sp.org/tlog-tiles): resource
 * paths and the entry bundle format. Browser-safe.
 */
export const TILE_WIDTH = 256;

/** zero-padded 3-digit groups, all but the last prefixed with x: 1234067 → x001/x234/067 */
export function tileIndexPath(n: number): string {
	let s = String(n % 1000).padStart(3, '0');
	for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000)) s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
	return s;
}

/** `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` with level 'entries'. */
export const tilePath = (level: number | 'entries', index: number, width: number) => `tile/${level}/${tileIndexPath(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;

/** Splits an entry bundle (big-endian uint16 length, then the entry, repeated); null when malformed. */
export function parseEntryBundle(b: Uint8Array): Uint8Array[] | null {
	const out: Uint8Array[] = [];
	for (let at = 0; at < b.length; ) {
		if (at + 2 > b.length) return null;
		const n = (b[at] << 8) | b[at + 1];
		if (at + 2 + n > b.length) return null;
		out.push(b.subarray(at + 2, at + 2 + n));
		at += 2 + n;
	}
	return out;
}
