import { createHash } from 'node:crypto';

/**
 * RFC 9162 §2.1 Merkle tree arithmetic, pure (no database): shared by the log
 * module, the public verify page and the offline `verify` CLI.
 *
 * A "range" [start, end) is the subtree MTH(D[start:end]). Every range a proof
 * needs is split into complete, aligned subtrees ("nodes" (level, index),
 * covering leaves [index·2^level, (index+1)·2^level)), which the log stores,
 * so a proof costs one read of O(log n) rows.
 */

export type Hash = Uint8Array;
export type NodeKey = { level: number; index: number };

const sha256 = (...parts: Uint8Array[]): Hash => {
	const h = createHash('sha256');
	for (const p of parts) h.update(p);
	return new Uint8Array(h.digest());
};

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

/** RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 || d) */
export const leafHash = (data: Uint8Array): Hash => sha256(LEAF, data);
/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right) */
export const nodeHash = (left: Hash, right: Hash): Hash => sha256(NODE, left, right);

/** largest power of two strictly smaller than n (n ≥ 2) */
export function splitPoint(n: number): number {
	let k = 1;
	while (k * 2 < n) k *= 2;
	return k;
}

/**
 * The complete aligned subtrees that make up [start, end), left to right, in
 * decreasing size. `start` must be a multiple of the largest power of two not
 * above end−start (true of every range RFC 9162's recursions produce).
 */
export function rangeNodes(start: number, end: number): NodeKey[] {
	const out: NodeKey[] = [];
	let a = start;
	while (a < end) {
		let level = 0;
		while (2 ** (level + 1) <= end - a && a % 2 ** (level + 1) === 0) level++;
		out.push({ level, index: a / 2 ** level });
		a += 2 ** level;
	}
	return out;
}

/** MTH of a range from its complete subtrees (left to right): fold from the right, as the recursive definition does. */
export function foldRange(nodes: Hash[]): Hash {
	if (!nodes.length) return sha256();
	let h = nodes[nodes.length - 1];
	for (let i = nodes.length - 2; i >= 0; i--) h = nodeHash(nodes[i], h);
	return h;
}

export type Range = [number, number];

/** RFC 9162 §2.1.3.1 PATH(m, D[0:n]) as ranges, leaf to root. */
export function inclusionRanges(m: number, n: number): Range[] {
	if (!(m >= 0 && m < n)) throw new RangeError(`leaf ${m} is not in a tree of size ${n}`);
	const out: Range[] = [];
	const walk = (m: number, a: number, b: number) => {
		if (b - a <= 1) return;
		const k = splitPoint(b - a);
		if (m < k) {
			walk(m, a, a + k);
			out.push([a + k, b]);
		} else {
			walk(m - k, a + k, b);
			out.push([a, a + k]);
		}
	};
	walk(m, 0, n);
	return out;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) as ranges. */
export function consistencyRanges(m: number, n: number): Range[] {
	if (!(m > 0 && m <= n)) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
	const out: Range[] = [];
	const sub = (m: number, a: number, b: number, whole: boolean) => {
		const n = b - a;
		if (m === n) {
			if (!whole) out.push([a, b]);
			return;
		}
		const k = splitPoint(n);
		if (m <= k) {
			sub(m, a, a + k, whole);
			out.push([a + k, b]);
		} else {
			sub(m - k, a + k, b, false);
			out.push([a, a + k]);
		}
	};
	sub(m, 0, n, true);
	return out;
}

/** Node keys needed to compute the given ranges (deduplicated). */
export function nodesFor(ranges: Range[]): NodeKey[] {
	const seen = new Map<string, NodeKey>();
	for (const [a, b] of ranges) for (const k of rangeNodes(a, b)) seen.set(`${k.level}/${k.index}`, k);
	return [...seen.values()];
}

/** Hashes of ranges given a lookup of stored nodes. */
export function rangeHashes(ranges: Range[], node: (k: NodeKey) => Hash | undefined): Hash[] {
	return ranges.map(([a, b]) =>
		foldRange(
			rangeNodes(a, b).map((k) => {
				const h = node(k);
				if (!h) throw new Error(`log node ${k.level}/${k.index} is missing`);
				return h;
			})
		)
	);
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * RFC 9162 §2.1.3.2: verifies an inclusion proof of `leaf` (its leaf hash) at
 * `index` in a tree of `treeSize` with root `root`.
 */
export function verifyInclusion(index: number, treeSize: number, leaf: Hash, proof: Hash[], root: Hash): boolean {
	if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
	let fn = index;
	let sn = treeSize - 1;
	let r = leaf;
	for (const p of proof) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			r = nodeHash(p, r);
			if (fn % 2 === 0) {
				while (fn % 2 === 0 && fn !== 0) {
					fn = Math.floor(fn / 2);
					sn = Math.floor(sn / 2);
				}
			}
		} else {
			r = nodeHash(r, p);
		}
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of size `second` (root `secondRoot`)
 * extends the tree of size `first` (root `firstRoot`).
 */
export function verifyConsistency(first: number, second: number, firstRoot: Hash, secondRoot: Hash, proof: Hash[]): boolean {
	if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
	if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
	if (!proof.length) return false;
	let path = proof;
	// if first is an exact power of two, prepend first_hash
	if (Number.isInteger(Math.log2(first))) path = [firstRoot, ...proof];
	let fn = first - 1;
	let sn = second - 1;
	while (fn % 2 === 1) {
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	let fr = path[0];
	let sr = path[0];
	for (const c of path.slice(1)) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			fr = nodeHash(c, fr);
			sr = nodeHash(c, sr);
			if (fn % 2 === 0) {
				while (fn % 2 === 0 && fn !== 0) {
					fn = Math.floor(fn / 2);
					sn = Math.floor(sn / 2);
				}
			}
		} else {
			sr = nodeHash(sr, c);
		}
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return equal(fr, firstRoot) && equal(sr, secondRoot) && sn === 0;
}
