import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { consistencyRanges, foldRange, leafHash, nodeHash, nodesFor, rangeHashes, rangeNodes, verifyConsistency, type Hash } from './merkle';
import { verifyCheckpoint } from './note';
import { logCheckpoints, logEntries, logNodes } from './schema';

export type LogFinding =
	| { problem: 'node_mismatch'; level: number; index: number }
	| { problem: 'node_missing'; level: number; index: number }
	| { problem: 'entry_mismatch'; index: number }
	| { problem: 'checkpoint_root_mismatch' | 'checkpoint_signature' | 'checkpoint_body' | 'checkpoint_inconsistent'; treeSize: number; detail?: string };

export type LogVerification = { ok: boolean; leaves: number; nodesChecked: number; checkpoints: number; findings: LogFinding[] };

const PAGE = 5000;
/** past this many findings the report stops listing (one damaged leaf changes every node above it) */
const MAX_FINDINGS = 50;
const key = (level: number, index: number) => `${level}/${index}`;

/**
 * Recomputes the transparency log from its leaves (RFC 9162 §2.1): every
 * stored entry (the leaf data the tiles serve) must hash to its leaf, and
 * every stored interior node must be the hash of its two stored children, so a
 * changed leaf breaks the node above it, and so on up. Then every stored
 * checkpoint must carry a valid signature of the log key, state the root the
 * nodes give for its size, and be consistent with the newest checkpoint
 * (a consistency proof from the stored nodes, verified as a client would).
 * Reads one REPEATABLE READ snapshot, so appends meanwhile are not damage.
 */
export async function verifyLog(db: Db, verifierKey: string, origin?: string): Promise<LogVerification> {
	return db.transaction(
		async (tx) => {
			const findings: LogFinding[] = [];
			const add = (f: LogFinding) => findings.length < MAX_FINDINGS && findings.push(f);
			const [{ leaves, top }] = await tx
				.select({ leaves: sql<number>`(count(*) filter (where ${logNodes.level} = 0))::int`, top: sql<number>`coalesce(max(${logNodes.level}), 0)::int` })
				.from(logNodes);
			let nodesChecked = 0;
			for (let after = -1; ; ) {
				const rows = await tx
					.select({ idx: logEntries.idx, data: logEntries.data, leaf: logNodes.hash })
					.from(logEntries)
					.leftJoin(logNodes, sql`${logNodes.level} = 0 and ${logNodes.idx} = ${logEntries.idx}`)
					.where(sql`${logEntries.idx} > ${after}`)
					.orderBy(asc(logEntries.idx))
					.limit(PAGE);
				for (const r of rows) {
					nodesChecked++;
					if (!r.leaf || Buffer.compare(Buffer.from(leafHash(r.data)), r.leaf) !== 0) add({ problem: 'entry_mismatch', index: r.idx });
				}
				if (rows.length < PAGE) break;
				after = rows[rows.length - 1].idx;
			}
			for (let level = 1; level <= top; level++) {
				for (let after = -1; ; ) {
					const rows = await tx.execute<{ idx: string; hash: Buffer; l: Buffer | null; r: Buffer | null }>(sql`
						select p.idx, p.hash, l.hash as l, r.hash as r from ${logNodes} p
						left join ${logNodes} l on l.level = ${level - 1} and l.idx = 2 * p.idx
						left join ${logNodes} r on r.level = ${level - 1} and r.idx = 2 * p.idx + 1
						where p.level = ${level} and p.idx > ${after} order by p.idx limit ${PAGE}`);
					for (const row of rows) {
						const index = Number(row.idx);
						nodesChecked++;
						if (!row.l || !row.r) add({ problem: 'node_missing', level: level - 1, index: row.l ? 2 * index + 1 : 2 * index });
						else if (Buffer.compare(Buffer.from(nodeHash(row.l, row.r)), row.hash) !== 0) add({ problem: 'node_mismatch', level, index });
					}
					if (rows.length < PAGE) break;
					after = Number(rows[rows.length - 1].idx);
				}
			}
			const checkpoints = await tx.select().from(logCheckpoints).orderBy(asc(logCheckpoints.treeSize));
			const rootOf = async (size: number): Promise<Hash | null> => {
				const keys = rangeNodes(0, size);
				const nodes = await readNodes(tx, keys);
				const hashes = keys.map((k) => nodes.get(key(k.level, k.index)));
				return hashes.every((h): h is Hash => h !== undefined) ? foldRange(hashes) : null;
			};
			const newest = checkpoints.at(-1);
			for (const c of checkpoints) {
				const verdict = verifyCheckpoint(c.note, verifierKey, origin);
				if (!verdict.ok) add({ problem: 'checkpoint_signature', treeSize: c.treeSize, detail: verdict.reason });
				else if (verdict.checkpoint.treeSize !== c.treeSize || Buffer.compare(Buffer.from(verdict.checkpoint.rootHash), c.rootHash) !== 0)
					add({ problem: 'checkpoint_body', treeSize: c.treeSize, detail: 'the signed note states another size or root than its row' });
				const root = await rootOf(c.treeSize);
				if (!root || Buffer.compare(Buffer.from(root), c.rootHash) !== 0) add({ problem: 'checkpoint_root_mismatch', treeSize: c.treeSize });
				if (newest && c.treeSize > 0 && c.treeSize < newest.treeSize) {
					const ranges = consistencyRanges(c.treeSize, newest.treeSize);
					const nodes = await readNodes(tx, nodesFor(ranges));
					let ok = false;
					try {
						ok = verifyConsistency(c.treeSize, newest.treeSize, c.rootHash, newest.rootHash, rangeHashes(ranges, (k) => nodes.get(key(k.level, k.index))));
					} catch (error) {
						add({ problem: 'checkpoint_inconsistent', treeSize: c.treeSize, detail: (error as Error).message });
						continue;
					}
					if (!ok) add({ problem: 'checkpoint_inconsistent', treeSize: c.treeSize, detail: `not consistent with the newest checkpoint (${newest.treeSize})` });
				}
			}
			return { ok: findings.length === 0, leaves, nodesChecked, checkpoints: checkpoints.length, findings };
		},
		{ isolationLevel: 'repeatable read', accessMode: 'read only' }
	);
}

async function readNodes(tx: Parameters<Parameters<Db['transaction']>[0]>[0], keys: { level: number; index: number }[]): Promise<Map<string, Hash>> {
	const out = new Map<string, Hash>();
	for (const level of new Set(keys.map((k) => k.level))) {
		const idx = keys.filter((k) => k.level === level).map((k) => k.index);
		const rows = await tx
			.select({ idx: logNodes.idx, hash: logNodes.hash })
			.from(logNodes)
			.where(sql`${logNodes.level} = ${level} and ${inArray(logNodes.idx, idx)}`);
		for (const r of rows) out.set(key(level, r.idx), new Uint8Array(r.hash));
	}
	return out;
}

/** Stored leaf hashes (level 0) by leaf index. */
export async function leafHashesAt(db: Db, indexes: number[]): Promise<Map<number, Uint8Array>> {
	if (!indexes.length) return new Map();
	const rows = await db
		.select({ idx: logNodes.idx, hash: logNodes.hash })
		.from(logNodes)
		.where(sql`${eq(logNodes.level, 0)} and ${inArray(logNodes.idx, indexes)}`);
	return new Map(rows.map((r) => [r.idx, new Uint8Array(r.hash)]));
}
