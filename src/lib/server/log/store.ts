import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { Signer } from '#lib/server/signer/types';
import { consistencyRanges, foldRange, inclusionRanges, leafHash, nodeHash, nodesFor, rangeHashes, rangeNodes, type Hash, type NodeKey, type Range } from './merkle';
import { checkpointBody, signedNote } from './note';
import { logCheckpoints, logCosignatures, logEntries, logNodes } from './schema';

/** What the sequencer needs: the database, the checkpoint signer and the log's origin line. */
export type LogDeps = { db: Db; signNote: Signer['signNote']; origin: string };

/** pg advisory lock of the one sequencer (any process): appends are serialised, so the tree never forks. */
const SEQUENCER_LOCK = 0x77_63_6c_6f_67; // "wclog"
const INSERT_CHUNK = 5000;

const key = (k: NodeKey) => `${k.level}/${k.index}`;
const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

async function treeSize(db: DbOrTx): Promise<number> {
	const [row] = await db.select({ n: sql<string | null>`max(${logNodes.idx})` }).from(logNodes).where(eq(logNodes.level, 0));
	return row?.n === null || row?.n === undefined ? 0 : Number(row.n) + 1;
}

async function readNodes(db: DbOrTx, keys: NodeKey[]): Promise<Map<string, Hash>> {
	const out = new Map<string, Hash>();
	if (!keys.length) return out;
	const rows = await db.execute<{ level: number; idx: string; hash: Buffer }>(sql`
		select n.level, n.idx, n.hash from ${logNodes} n
		join unnest(${`{${keys.map((k) => k.level).join(',')}}`}::smallint[], ${`{${keys.map((k) => k.index).join(',')}}`}::bigint[]) as w(level, idx)
			on n.level = w.level and n.idx = w.idx`);
	for (const r of rows) out.set(`${r.level}/${Number(r.idx)}`, new Uint8Array(r.hash));
	return out;
}

/**
 * Appends leaves (canonical certificate record bytes) as one batch and
 * publishes a signed checkpoint of the new size; returns each datum's leaf
 * index. Idempotent: a datum whose leaf is in the log already keeps its index
 * (a retried pipeline batch appends nothing twice). Runs in `tx` when given
 * (the lock then holds until the caller commits), else in its own transaction.
 */
export async function appendLeaves(deps: LogDeps, data: Uint8Array[], tx?: Tx): Promise<number[]> {
	if (!data.length) return [];
	if (!tx) return deps.db.transaction((t) => appendLeaves(deps, data, t));
	await tx.execute(sql`select pg_advisory_xact_lock(${SEQUENCER_LOCK})`);
	const hashes = data.map(leafHash);
	const known = new Map<string, number>();
	const existing = await tx
		.select({ idx: logNodes.idx, hash: logNodes.hash })
		.from(logNodes)
		.where(and(eq(logNodes.level, 0), inArray(logNodes.hash, hashes.map((h) => Buffer.from(h)))));
	for (const r of existing) known.set(b64(r.hash), r.idx);
	const size = await treeSize(tx);
	const fresh: Hash[] = [];
	for (const h of hashes) {
		if (known.has(b64(h))) continue;
		known.set(b64(h), size + fresh.length);
		fresh.push(h);
	}
	const indexes = hashes.map((h) => known.get(b64(h))!);
	if (!fresh.length) return indexes;

	const newSize = size + fresh.length;
	// the complete subtrees of the old tree's right edge are the only old nodes a new parent can need
	const nodes = await readNodes(tx, rangeNodes(0, size));
	const rows: { level: number; idx: number; hash: Buffer }[] = [];
	const put = (level: number, index: number, hash: Hash) => {
		nodes.set(key({ level, index }), hash);
		rows.push({ level, idx: index, hash: Buffer.from(hash) });
	};
	fresh.forEach((h, i) => put(0, size + i, h));
	// each fresh leaf's data, for the tlog-tiles entry bundles (a datum seen twice in one batch is one leaf)
	const entries = new Map<number, Buffer>();
	data.forEach((d, i) => {
		if (indexes[i] >= size) entries.set(indexes[i], Buffer.from(d));
	});
	const entryRows = [...entries].map(([idx, d]) => ({ idx, data: d }));
	for (let i = 0; i < entryRows.length; i += INSERT_CHUNK) await tx.insert(logEntries).values(entryRows.slice(i, i + INSERT_CHUNK));
	for (let level = 1, lo = size; 2 ** level <= newSize; level++) {
		// new nodes at the level below span [lo, hi]; their parents that are complete in the new tree are new
		const first = Math.floor(lo / 2);
		const last = Math.floor(newSize / 2 ** level) - 1;
		if (last < first) break;
		for (let i = first; i <= last; i++) {
			const l = nodes.get(`${level - 1}/${2 * i}`);
			const r = nodes.get(`${level - 1}/${2 * i + 1}`);
			if (!l || !r) throw new Error(`log node ${level - 1}/${!l ? 2 * i : 2 * i + 1} is missing`);
			put(level, i, nodeHash(l, r));
		}
		lo = first;
	}
	for (let i = 0; i < rows.length; i += INSERT_CHUNK) await tx.insert(logNodes).values(rows.slice(i, i + INSERT_CHUNK));
	const root = foldRange(rangeNodes(0, newSize).map((k) => nodes.get(key(k))!));
	const body = checkpointBody({ origin: deps.origin, treeSize: newSize, rootHash: root });
	const note = signedNote(body, await deps.signNote(body));
	await tx.insert(logCheckpoints).values({ treeSize: newSize, rootHash: Buffer.from(root), note });
	return indexes;
}

export type CheckpointView = { origin: string; treeSize: number; rootHash: string; note: string; createdAt: string };

/**
 * A checkpoint as served: the log's signed note followed by the witnesses'
 * stored cosignature lines (C2SP tlog-witness: a client "can move the valid
 * signatures to its own view of the checkpoint"), in witness order.
 */
async function checkpointView(db: DbOrTx, r: typeof logCheckpoints.$inferSelect): Promise<CheckpointView> {
	const cosigned = await db.select({ line: logCosignatures.line }).from(logCosignatures).where(eq(logCosignatures.treeSize, r.treeSize)).orderBy(asc(logCosignatures.witness));
	return {
		origin: r.note.slice(0, r.note.indexOf('\n')),
		treeSize: r.treeSize,
		rootHash: b64(r.rootHash),
		note: r.note + cosigned.map((c) => c.line).join(''),
		createdAt: r.createdAt.toISOString()
	};
}

/** The newest signed checkpoint, or null while the log is empty. */
export async function latestCheckpoint(db: DbOrTx): Promise<CheckpointView | null> {
	const [r] = await db.select().from(logCheckpoints).orderBy(desc(logCheckpoints.treeSize)).limit(1);
	return r ? checkpointView(db, r) : null;
}

/**
 * How long a process reuses the newest checkpoint it read (the
 * public certificate answer is the hot path). Serving a slightly older signed
 * checkpoint is still correct — the inclusion proof is computed against the
 * checkpoint returned with it — and a certificate whose leaf is newer than the
 * cached tree refreshes the cache at once, so no certificate is shown without
 * its proof for up to this long.
 */
const CHECKPOINT_TTL_MS = 1000;
type CheckpointCache = { view: CheckpointView | null; at: number; inflight: Promise<CheckpointView | null> | null };
const checkpointCaches = new WeakMap<object, CheckpointCache>();

/**
 * The newest signed checkpoint, from a per-process cache (per database) of at
 * most CHECKPOINT_TTL_MS; re-read when the cached tree does not reach
 * `leafIndex` yet. Concurrent misses share one read.
 */
export async function recentCheckpoint(db: DbOrTx, leafIndex = -1, maxAgeMs = CHECKPOINT_TTL_MS): Promise<CheckpointView | null> {
	let c = checkpointCaches.get(db);
	if (!c) checkpointCaches.set(db, (c = { view: null, at: -Infinity, inflight: null }));
	const fresh = performance.now() - c.at < maxAgeMs;
	if (fresh && c.view && c.view.treeSize > leafIndex) return c.view;
	if (fresh && !c.view && leafIndex < 0) return null;
	const cache = c;
	cache.inflight ??= latestCheckpoint(db).then(
		(view) => {
			// a slower read never replaces a newer tree another read stored
			if (!cache.view || (view && view.treeSize >= cache.view.treeSize)) cache.view = view;
			cache.at = performance.now();
			cache.inflight = null;
			return cache.view;
		},
		(error: unknown) => {
			cache.inflight = null;
			throw error;
		}
	);
	return cache.inflight;
}

/**
 * Inclusion proof of leaf `index` against a checkpoint already known to be
 * published (from latestCheckpoint/recentCheckpoint): one prepared statement
 * through postgres.js (drizzle's `execute` does not prepare), no re-read of the
 * checkpoint. The hot path of the public certificate answer.
 */
export async function inclusionProofAgainst(sql: postgres.Sql, index: number, checkpoint: Pick<CheckpointView, 'treeSize'>): Promise<string[]> {
	const ranges = inclusionRanges(index, checkpoint.treeSize);
	let upper = upperNodes.get(sql);
	if (!upper) upperNodes.set(sql, (upper = new Map()));
	const cached = upper;
	const wanted = nodesFor(ranges).filter((k) => !(k.level >= CACHED_LEVEL && cached.has(key(k))));
	const nodes = new Map<string, Hash>();
	if (wanted.length) {
		const rows = await sql<{ level: number; idx: string; hash: Buffer }[]>`
			select n.level, n.idx, n.hash from log_nodes n
			join unnest(${`{${wanted.map((k) => k.level).join(',')}}`}::text::smallint[], ${`{${wanted.map((k) => k.index).join(',')}}`}::text::bigint[]) as w(level, idx)
				on n.level = w.level and n.idx = w.idx`;
		for (const r of rows) {
			const k = `${r.level}/${r.idx}`;
			nodes.set(k, r.hash);
			if (r.level >= CACHED_LEVEL && cached.size < MAX_CACHED_NODES) cached.set(k, r.hash);
		}
	}
	return rangeHashes(ranges, (k) => nodes.get(key(k)) ?? cached.get(key(k))).map(b64);
}

/**
 * Nodes of level ≥ CACHED_LEVEL (subtrees of 256+ leaves), kept per process:
 * every inclusion proof shares them, there are at most n/256 of them, and a
 * stored node never changes (it is written once, when its subtree is
 * complete), so the cache needs no invalidation. Proofs then read ~8 rows
 * instead of ~20 at a million leaves.
 */
const CACHED_LEVEL = 8;
const MAX_CACHED_NODES = 250_000;
const upperNodes = new WeakMap<object, Map<string, Hash>>();

/** The signed checkpoint of exactly `size`, or null when the log never published that size. */
export async function checkpointAt(db: DbOrTx, size: number): Promise<CheckpointView | null> {
	const [r] = await db.select().from(logCheckpoints).where(eq(logCheckpoints.treeSize, size));
	return r ? checkpointView(db, r) : null;
}

/** The newest checkpoint at or below `size`. */
export async function checkpointAtMost(db: DbOrTx, size: number): Promise<CheckpointView | null> {
	const [r] = await db.select().from(logCheckpoints).where(lte(logCheckpoints.treeSize, size)).orderBy(desc(logCheckpoints.treeSize)).limit(1);
	return r ? checkpointView(db, r) : null;
}

/** The leaf hash at `index`, or null when the log has no such leaf. */
export async function leafHashAt(db: DbOrTx, index: number): Promise<Uint8Array | null> {
	const [r] = await db
		.select({ hash: logNodes.hash })
		.from(logNodes)
		.where(and(eq(logNodes.level, 0), eq(logNodes.idx, index)));
	return r ? new Uint8Array(r.hash) : null;
}

/** The leaf index of a leaf hash, or null. */
export async function leafIndexOf(db: DbOrTx, hash: Uint8Array): Promise<number | null> {
	const [r] = await db
		.select({ idx: logNodes.idx })
		.from(logNodes)
		.where(and(eq(logNodes.level, 0), eq(logNodes.hash, Buffer.from(hash))));
	return r ? r.idx : null;
}

async function publishedSize(db: DbOrTx, n: number): Promise<void> {
	if (!(await checkpointAt(db, n))) throw new ApiError('not_found', `The log has published no checkpoint of size ${n}.`);
}

async function proofHashes(db: DbOrTx, ranges: Range[]): Promise<Hash[]> {
	const nodes = await readNodes(db, nodesFor(ranges));
	return rangeHashes(ranges, (k) => nodes.get(key(k)));
}

/** RFC 9162 §2.1.3 inclusion proof of leaf `index` in the published tree of `size`: O(log n) rows, one read. */
export async function inclusionProof(db: DbOrTx, index: number, size: number, published?: Pick<CheckpointView, 'treeSize'>): Promise<{ leafIndex: number; treeSize: number; hashes: string[] }> {
	if (!(index >= 0 && index < size)) throw new ApiError('bad_request', `Leaf ${index} is not in a tree of size ${size}.`);
	// `published`: the caller read that checkpoint from the log already (a batch of PDFs shares one), no second look-up
	if (published?.treeSize !== size) await publishedSize(db, size);
	return { leafIndex: index, treeSize: size, hashes: (await proofHashes(db, inclusionRanges(index, size))).map(b64) };
}

/** RFC 9162 §2.1.4 consistency proof between two published sizes. */
export async function consistencyProof(db: DbOrTx, first: number, second: number): Promise<{ first: number; second: number; hashes: string[] }> {
	if (!(first > 0 && first <= second)) throw new ApiError('bad_request', 'A consistency proof needs 0 < first ≤ second.');
	await publishedSize(db, first);
	await publishedSize(db, second);
	return { first, second, hashes: (await proofHashes(db, consistencyRanges(first, second))).map(b64) };
}

/** Inclusion proof by index or by leaf hash (base64 or hex), against `treeSize` or the newest checkpoint. */
export async function inclusionProofFor(db: DbOrTx, q: { index?: number; leafHash?: string; treeSize?: number }) {
	let index = q.index;
	if (index === undefined) {
		const raw = q.leafHash ?? '';
		const hash = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
		if (hash.length !== 32) throw new ApiError('bad_request', 'leafHash is a SHA-256 hash in base64 or hex.');
		const found = await leafIndexOf(db, hash);
		if (found === null) throw new ApiError('not_found', 'No log entry has this leaf hash.');
		index = found;
	}
	const size = q.treeSize ?? (await latestCheckpoint(db))?.treeSize;
	if (!size) throw new ApiError('not_found', 'The log is empty.');
	return inclusionProof(db, index, size);
}
