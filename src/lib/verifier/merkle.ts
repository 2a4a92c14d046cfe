import { concat, equal, sha256 } from './bytes';

/**
 * RFC 9162 §2.1 Merkle tree verification with WebCrypto (browser-safe): the
 * verify page, the standalone verifier and the monitor share it. The log's
 * sequencer keeps its synchronous node:crypto arithmetic (server/log/merkle.ts).
 */

export type Hash = Uint8Array;

/** RFC 9162 §2.1.1: MTH({d}) = SHA-256(0x00 ‖ d) */
export const leafHash = (data: Uint8Array): Promise<Hash> => sha256(concat(Uint8Array.of(0), data));
/** RFC 9162 §2.1.1: SHA-256(0x01 ‖ left ‖ right) */
export const nodeHash = (left: Hash, right: Hash): Promise<Hash> => sha256(concat(Uint8Array.of(1), left, right));

/** RFC 9162 §2.1.3.2: the inclusion proof of `leaf` at `index` leads to `root` of a tree of `treeSize`. */
export async function verifyInclusion(index: number, treeSize: number, leaf: Hash, proof: Hash[], root: Hash): Promise<boolean> {
	if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
	let fn = index;
	let sn = treeSize - 1;
	let r = leaf;
	for (const p of proof) {
		if (sn === 0) return false;
		if (fn % 2 === 1 || fn === sn) {
			r = await nodeHash(p, r);
			while (fn % 2 === 0 && fn !== 0) {
				fn = Math.floor(fn / 2);
				sn = Math.floor(sn / 2);
			}
		} else r = await nodeHash(r, p);
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2: the tree of size `second` (root `secondRoot`) extends the tree of size `first`. */
export async function verifyConsistency(first: number, second: number, firstRoot: Hash, secondRoot: Hash, proof: Hash[]): Promise<boolean> {
	if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) return false;
	if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
	if (!proof.length) return false;
	// a first tree of exactly 2^k leaves is itself a node of the second: the proof starts above it
	const path = Number.isInteger(Math.log2(first)) ? [firstRoot, ...proof] : proof;
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
			fr = await nodeHash(c, fr);
			sr = await nodeHash(c, sr);
			while (fn % 2 === 0 && fn !== 0) {
				fn = Math.floor(fn / 2);
				sn = Math.floor(sn / 2);
			}
		} else sr = await nodeHash(sr, c);
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/**
 * A compact range [0, size): the roots of the complete subtrees that make up
 * the tree's left-to-right decomposition (largest first). Enough to extend the
 * tree leaf by leaf and to compute its root: what a monitor keeps between runs.
 */
export class CompactRange {
	constructor(
		public size = 0,
		/** subtree roots, largest (leftmost) first */
		public hashes: Hash[] = []
	) {
		const expected = size.toString(2).replace(/0/g, '').length;
		if (!Number.isSafeInteger(size) || size < 0 || hashes.length !== expected) throw new Error(`a compact range of ${size} leaves has ${expected} hashes`);
	}

	/** Appends one leaf hash, merging equal-sized subtrees as the tree does. */
	async append(leaf: Hash): Promise<void> {
		let h = leaf;
		let n = this.size;
		while (n & 1) {
			h = await nodeHash(this.hashes.pop()!, h);
			n >>= 1;
		}
		this.hashes.push(h);
		this.size++;
	}

	/** RFC 9162 MTH of the whole range: fold the subtree roots from the right. */
	async root(): Promise<Hash> {
		if (!this.hashes.length) return sha256(new Uint8Array());
		let h = this.hashes[this.hashes.length - 1];
		for (let i = this.hashes.length - 2; i >= 0; i--) h = await nodeHash(this.hashes[i], h);
		return h;
	}
}
