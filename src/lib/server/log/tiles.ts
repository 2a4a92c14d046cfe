import { and, between, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { TILE_WIDTH, tileIndexPath } from '#lib/verifier/tiles';
import { logEntries, logNodes } from './schema';

/**
 * The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile hash i of
 * tile N at level L is MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]), which is
 * exactly the stored node (level 8L, index N·256+i). A full tile has 256
 * hashes; a partial one `.p/W` the first W. Entry bundles hold each leaf's
 * data with a big-endian uint16 length prefix. Everything served is
 * immutable: nodes and entries are written once with their checkpoint.
 */

const MAX_LEVEL = 63;

export type TileRequest = { kind: 'hashes'; level: number; index: number; width: number } | { kind: 'entries'; index: number; width: number };


/** Parses `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (the part after `tile/`); null unless in the spec's one spelling. */
export function parseTilePath(path: string): TileRequest | null {
	const m = /^(entries|0|[1-9]\d?)\/((?:x\d{3}\/)*\d{3})(?:\.p\/([1-9]\d{0,2}))?$/.exec(path);
	if (!m) return null;
	const index = Number(m[2].replace(/x|\//g, ''));
	const width = m[3] ? Number(m[3]) : TILE_WIDTH;
	if (!Number.isSafeInteger(index) || width > TILE_WIDTH || (m[3] && width === TILE_WIDTH) || tileIndexPath(index) !== m[2]) return null;
	if (m[1] === 'entries') return { kind: 'entries', index, width };
	const level = Number(m[1]);
	return level > MAX_LEVEL ? null : { kind: 'hashes', level, index, width };
}

const missing = () => new ApiError('not_found', 'The log has no such tile (a full tile exists once its 256 hashes do; a partial one only up to the tree size).');

/** The tile's bytes: `width` concatenated 32-byte hashes. */
export async function readTile(db: DbOrTx, level: number, index: number, width: number): Promise<Uint8Array<ArrayBuffer>> {
	const first = index * TILE_WIDTH;
	const nodeLevel = level * 8;
	if (nodeLevel > 62 || !Number.isSafeInteger(first + width)) throw missing();
	const rows = await db
		.select({ idx: logNodes.idx, hash: logNodes.hash })
		.from(logNodes)
		.where(and(eq(logNodes.level, nodeLevel), between(logNodes.idx, first, first + width - 1)))
		.orderBy(logNodes.idx);
	if (rows.length !== width) throw missing();
	const out = new Uint8Array(32 * width);
	rows.forEach((r, i) => out.set(r.hash, 32 * i));
	return out;
}

/** The entry bundle: each leaf's data, uint16 big-endian length first. */
export async function readEntryBundle(db: DbOrTx, index: number, width: number): Promise<Uint8Array<ArrayBuffer>> {
	const first = index * TILE_WIDTH;
	const rows = await db
		.select({ idx: logEntries.idx, data: logEntries.data })
		.from(logEntries)
		.where(between(logEntries.idx, first, first + width - 1))
		.orderBy(logEntries.idx);
	if (rows.length !== width) {
		// leaves appended before entries were stored have hashes but no published data
		const [leaves] = await db.select({ n: sql<number>`count(*)::int` }).from(logNodes).where(and(eq(logNodes.level, 0), between(logNodes.idx, first, first + width - 1)));
		if (leaves.n === width) throw new ApiError('not_found', 'This entry bundle covers leaves appended before the log published its entries; their data is not served.');
		throw missing();
	}
	const out = new Uint8Array(rows.reduce((n, r) => n + 2 + r.data.length, 0));
	let at = 0;
	for (const r of rows) {
		if (r.data.length > 0xffff) throw new Error(`log entry ${r.idx} is longer than a tlog-tiles entry can be`);
		out[at] = r.data.length >> 8;
		out[at + 1] = r.data.length & 0xff;
		out.set(r.data, at + 2);
		at += 2 + r.data.length;
	}
	return out;
}
