import * as z from 'zod/mini';
import { equal, fromBase64, toBase64, toHex } from './bytes';
import { parseCertificateEntry } from './entry';
import { CompactRange, leafHash } from './merkle';
import { verifyCheckpointNote } from './note';
import { parseEntryBundle, TILE_WIDTH, tilePath } from './tiles';

/**
 * A monitor of the log served as C2SP tlog-tiles: fetches the checkpoint,
 * verifies its signature (and required witness cosignatures), re-hashes
 * every new entry from the entry bundles against the level-0 tiles, and
 * extends its own compact range of the tree it verified last time by those
 * leaves: the result must be the new signed root. That proves the new tree
 * extends the old one (the consistency an RFC 9162 proof shows, without
 * trusting one) and that the entries are what the tree commits to. The
 * state (checkpoint and compact range) is kept between runs; a split view or
 * a rewritten entry is reported with both checkpoints and fails the run.
 */

export const monitorStateSchema = z.object({
	prefix: z.string(),
	logKey: z.string(),
	origin: z.string(),
	treeSize: z.int().check(z.minimum(0)),
	rootHash: z.string(),
	checkpoint: z.string(),
	/** base64 subtree roots of the compact range [0, treeSize) */
	compact: z.array(z.string())
});
export type MonitorState = z.infer<typeof monitorStateSchema>;

export type MonitorIo = {
	fetch: typeof fetch;
	out: (s: string) => void;
	/** sleeps (Retry-After of a 429) */
	sleep: (ms: number) => Promise<void>;
};

export type MonitorResult = { ok: true; state: MonitorState; newEntries: number } | { ok: false; problems: string[] };

const MAX_429_RETRIES = 5;

async function get(io: MonitorIo, url: string): Promise<Response> {
	for (let attempt = 0; ; attempt++) {
		const res = await io.fetch(url, { headers: { 'accept-encoding': 'gzip, identity' } });
		if (res.status !== 429 || attempt >= MAX_429_RETRIES) return res;
		const wait = Number(res.headers.get('retry-after')) || 1;
		io.out(`rate limited on ${url}: waiting ${wait} s`);
		await io.sleep(wait * 1000);
	}
}

async function bytes(io: MonitorIo, url: string): Promise<Uint8Array> {
	const res = await get(io, url);
	if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
	return new Uint8Array(await res.arrayBuffer());
}

/** The log's tile prefix from a platform URL or the prefix itself (…/log). */
export const logPrefix = (url: string) => (/\/log\/?$/.test(url) ? url.replace(/\/$/, '') : `${url.replace(/\/$/, '')}/log`);

/** One monitoring pass. `previous` is the state of the last good pass (null: audit the log from entry 0). */
export async function monitorOnce(io: MonitorIo, o: { prefix: string; logKey: string; witnesses?: string[]; previous: MonitorState | null }): Promise<MonitorResult> {
	const problems: string[] = [];
	const prev = o.previous;
	const note = new TextDecoder().decode(await bytes(io, `${o.prefix}/checkpoint`));
	const v = await verifyCheckpointNote(note, o.logKey, { origin: prev?.origin, witnesses: o.witnesses });
	if (!v.ok) return { ok: false, problems: [`the served checkpoint does not verify: ${v.reason}`, `--- checkpoint served now ---\n${note}`] };
	if (v.missing.length) return { ok: false, problems: [`the checkpoint is not cosigned by the required witness ${v.missing.join(', ')}`, `--- checkpoint served now ---\n${note}`] };
	const { treeSize: size, rootHash: root } = v.checkpoint;
	const both = () => [`--- checkpoint seen before (tree size ${prev!.treeSize}) ---\n${prev!.checkpoint}`, `--- checkpoint served now (tree size ${size}) ---\n${note}`];
	if (prev && size < prev.treeSize) return { ok: false, problems: [`SPLIT VIEW: the log now serves a smaller tree (${size}) than it signed before (${prev.treeSize})`, ...both()] };
	if (prev && size === prev.treeSize) {
		if (!equal(root, fromBase64(prev.rootHash)!)) return { ok: false, problems: [`SPLIT VIEW: two different signed checkpoints for tree size ${size}`, ...both()] };
		return { ok: true, state: { ...prev, checkpoint: note }, newEntries: 0 };
	}
	const range = prev ? new CompactRange(prev.treeSize, prev.compact.map((h) => fromBase64(h)!)) : new CompactRange();
	const from = range.size;
	for (let t = Math.floor(from / TILE_WIDTH); t * TILE_WIDTH < size; t++) {
		const width = Math.min(TILE_WIDTH, size - t * TILE_WIDTH);
		const tile = await bytes(io, `${o.prefix}/${tilePath(0, t, width)}`);
		const entries = parseEntryBundle(await bytes(io, `${o.prefix}/${tilePath('entries', t, width)}`));
		if (tile.length !== 32 * width) return { ok: false, problems: [`level-0 tile ${t} has ${tile.length} bytes, not ${32 * width}`] };
		if (!entries || entries.length !== width) return { ok: false, problems: [`entry bundle ${t} does not hold ${width} entries`] };
		for (let i = 0; i < width; i++) {
			const index = t * TILE_WIDTH + i;
			const inTile = tile.subarray(32 * i, 32 * i + 32);
			const hashed = await leafHash(entries[i]);
			if (!equal(hashed, inTile)) problems.push(`REWRITTEN ENTRY ${index}: the served entry hashes to ${toHex(hashed)}, the tree has ${toHex(inTile)}`);
			else if (index >= from && !parseCertificateEntry(entries[i])) io.out(`note: entry ${index} is not a wipecert/certificate/v1 entry`);
			if (index >= from) await range.append(inTile);
		}
	}
	const computed = await range.root();
	if (!equal(computed, root)) {
		problems.push(
			prev
				? `SPLIT VIEW: the checkpoint of tree size ${size} does not extend the one of size ${prev.treeSize} verified before: its tiles lead to ${toBase64(computed)}, it signs ${toBase64(root)}`
				: `the tiles of tree size ${size} lead to root ${toBase64(computed)}, the checkpoint signs ${toBase64(root)}`
		);
	}
	if (problems.length) return { ok: false, problems: prev ? [...problems, ...both()] : [...problems, `--- checkpoint served now (tree size ${size}) ---\n${note}`] };
	return {
		ok: true,
		newEntries: size - from,
		state: { prefix: o.prefix, logKey: o.logKey, origin: v.checkpoint.origin, treeSize: size, rootHash: toBase64(root), checkpoint: note, compact: range.hashes.map(toBase64) }
	};
}
