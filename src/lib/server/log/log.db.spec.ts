import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import type { Database } from '../db/client';
import { consistencyRanges, inclusionRanges, leafHash, nodeHash, verifyConsistency, verifyInclusion } from './merkle';
import { noteKeyHash, verifierKey, verifyCheckpoint } from './note';
import { appendLeaves, checkpointAt, consistencyProof, inclusionProof, inclusionProofAgainst, latestCheckpoint, leafIndexOf, recentCheckpoint, type LogDeps } from './store';

/** RFC 9162 §2.1.1–2.1.4, written from the text as plainly as possible: the reference the log is checked against. */
const ref = {
	mth(d: Uint8Array[]): Uint8Array {
		if (d.length === 0) return new Uint8Array(createHash('sha256').digest());
		if (d.length === 1) return leafHash(d[0]);
		const k = 2 ** Math.floor(Math.log2(d.length - 1));
		return nodeHash(ref.mth(d.slice(0, k)), ref.mth(d.slice(k)));
	},
	path(m: number, d: Uint8Array[]): Uint8Array[] {
		if (d.length === 1) return [];
		const k = 2 ** Math.floor(Math.log2(d.length - 1));
		return m < k ? [...ref.path(m, d.slice(0, k)), ref.mth(d.slice(k))] : [...ref.path(m - k, d.slice(k)), ref.mth(d.slice(0, k))];
	},
	subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
		const n = d.length;
		if (m === n) return b ? [] : [ref.mth(d)];
		const k = 2 ** Math.floor(Math.log2(n - 1));
		return m <= k ? [...ref.subproof(m, d.slice(0, k), b), ref.mth(d.slice(k))] : [...ref.subproof(m - k, d.slice(k), false), ref.mth(d.slice(0, k))];
	}
};

const datum = (i: number) => new TextEncoder().encode(`{"certificateId":"c-${i}"}`);
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

// a real Ed25519 key standing in for the keyring's log key (signNote's contract: key name, 4-byte key hash, signature)
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const rawPublic = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
const KEY_NAME = 'test.wipecert/log';
const vkey = verifierKey(KEY_NAME, rawPublic);

let t: { database: Database; drop(): Promise<void> };
let deps: LogDeps;

beforeAll(async () => {
	t = await createTestDatabase();
	deps = {
		db: t.database.db,
		origin: 'test.wipecert/log',
		signNote: async (body) => ({ keyName: KEY_NAME, keyHash: noteKeyHash(KEY_NAME, rawPublic), signature: new Uint8Array(sign(null, Buffer.from(body), privateKey)) })
	};
});
afterAll(() => t?.drop());

describe('merkle arithmetic against the RFC 9162 reference', () => {
	it('inclusion and consistency proofs verify for every index and size up to 40', () => {
		const d = Array.from({ length: 40 }, (_, i) => datum(i));
		for (let n = 1; n <= d.length; n++) {
			const root = ref.mth(d.slice(0, n));
			for (let m = 0; m < n; m++) {
				const want = ref.path(m, d.slice(0, n));
				expect(inclusionRanges(m, n).length).toBe(want.length);
				expect(verifyInclusion(m, n, leafHash(d[m]), want, root)).toBe(true);
				if (n > 1) expect(verifyInclusion(m, n, leafHash(d[(m + 1) % n]), want, root)).toBe(false);
			}
			for (let m = 1; m <= n; m++) {
				const want = ref.subproof(m, d.slice(0, n), true);
				expect(consistencyRanges(m, n).length).toBe(want.length);
				expect(verifyConsistency(m, n, ref.mth(d.slice(0, m)), root, want)).toBe(true);
				if (m < n) expect(verifyConsistency(m, n, ref.mth(d.slice(1, m + 1)), root, want)).toBe(false);
			}
		}
	});
});

describe('the stored log', () => {
	const all: Uint8Array[] = [];

	it('answers every proof of small trees exactly as the reference', async () => {
		for (const batch of [1, 2, 3, 1, 5, 8, 1, 13]) {
			const data = Array.from({ length: batch }, (_, i) => datum(all.length + i));
			const idx = await appendLeaves(deps, data);
			expect(idx).toEqual(data.map((_, i) => all.length + i));
			all.push(...data);
			const n = all.length;
			const cp = await checkpointAt(t.database.db, n);
			expect(cp).not.toBeNull();
			expect(b64(cp!.rootHash)).toEqual(ref.mth(all));
			const v = verifyCheckpoint(cp!.note, vkey, deps.origin);
			expect(v.ok && v.checkpoint.treeSize).toBe(n);
			for (let m = 0; m < n; m++) {
				const p = await inclusionProof(t.database.db, m, n);
				expect(p.hashes.map(b64)).toEqual(ref.path(m, all));
			}
			for (let m = 1; m <= n; m++) {
				if (!(await checkpointAt(t.database.db, m))) continue;
				const p = await consistencyProof(t.database.db, m, n);
				expect(p.hashes.map(b64)).toEqual(ref.subproof(m, all, true));
			}
		}
	});

	it('appends a datum once: a retried batch keeps its indexes and publishes nothing new', async () => {
		const before = await latestCheckpoint(t.database.db);
		const again = await appendLeaves(deps, [all[3], all[7]]);
		expect(again).toEqual([3, 7]);
		expect((await latestCheckpoint(t.database.db))!.treeSize).toBe(before!.treeSize);
		expect(await leafIndexOf(t.database.db, leafHash(all[5]))).toBe(5);
	});

	it('a checkpoint signed by another key or altered is refused', async () => {
		const cp = (await latestCheckpoint(t.database.db))!;
		const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
		expect(verifyCheckpoint(cp.note, verifierKey(KEY_NAME, new Uint8Array(other))).ok).toBe(false);
		expect(verifyCheckpoint(cp.note.replace(`\n${cp.treeSize}\n`, `\n${cp.treeSize + 1}\n`), vkey).ok).toBe(false);
		expect(verifyCheckpoint(cp.note, vkey, 'another.log/x').ok).toBe(false);
	});

	it('stays consistent across 10,000 appends and every checkpoint; two concurrent appenders never fork it', async () => {
		const start = all.length;
		const cps: number[] = [];
		const appender = async (tag: string) => {
			for (let b = 0; b < 10; b++) {
				const data = Array.from({ length: 500 }, (_, i) => new TextEncoder().encode(`${tag}-${b}-${i}`));
				const idx = await appendLeaves(deps, data);
				cps.push(Math.max(...idx) + 1);
			}
		};
		await Promise.all([appender('a'), appender('b')]);
		const last = (await latestCheckpoint(t.database.db))!;
		expect(last.treeSize).toBe(start + 10_000);
		// every leaf index is used exactly once: the two appenders never wrote the same position
		const rows = await t.database.sql`select count(*)::int as n, count(distinct idx)::int as d, max(idx)::int as mx from log_nodes where level = 0`;
		expect(rows[0]).toEqual({ n: start + 10_000, d: start + 10_000, mx: start + 9_999 });
		const sizes = (await t.database.sql`select tree_size::int as s from log_checkpoints order by tree_size`).map((r) => r.s as number);
		expect(sizes).toEqual(expect.arrayContaining(cps));
		const lastRoot = b64(last.rootHash);
		for (const s of sizes) {
			const cp = (await checkpointAt(t.database.db, s))!;
			expect(verifyCheckpoint(cp.note, vkey).ok).toBe(true);
			const p = await consistencyProof(t.database.db, s, last.treeSize);
			expect(verifyConsistency(s, last.treeSize, b64(cp.rootHash), lastRoot, p.hashes.map(b64))).toBe(true);
		}
		for (const m of [0, 1, start, start + 4_999, start + 9_999]) {
			const p = await inclusionProof(t.database.db, m, last.treeSize);
			expect(p.hashes.length).toBeLessThanOrEqual(Math.ceil(Math.log2(last.treeSize)));
			const [leaf] = await t.database.sql`select hash from log_nodes where level = 0 and idx = ${m}`;
			expect(verifyInclusion(m, last.treeSize, new Uint8Array(leaf.hash as Buffer), p.hashes.map(b64), lastRoot)).toBe(true);
		}
	});

	it('refuses proofs for sizes the log never published', async () => {
		const last = (await latestCheckpoint(t.database.db))!;
		await expect(inclusionProof(t.database.db, 0, last.treeSize + 1)).rejects.toThrow(/no checkpoint/);
		await expect(inclusionProof(t.database.db, last.treeSize, last.treeSize)).rejects.toThrow(/not in a tree/);
	});
});

describe('the cached checkpoint of the public answer', () => {
	it('keeps the cached checkpoint for leaves it covers, re-reads it for a newer leaf, and proofs against either verify', async () => {
		const db = t.database.db;
		const HOUR = 3_600_000; // a cache that certainly has not expired: only the leaf rule can refresh it
		const cached = (await recentCheckpoint(db, -1, HOUR))!;
		const data = datum(900_001);
		const [next] = await appendLeaves(deps, [data]);
		expect(next).toBe(cached.treeSize);
		expect((await recentCheckpoint(db, cached.treeSize - 1, HOUR))!.treeSize).toBe(cached.treeSize);
		const fresh = (await recentCheckpoint(db, next, HOUR))!;
		expect(fresh.treeSize).toBe(next + 1);
		for (const [cp, index, leaf] of [
			[fresh, next, data],
			[cached, 0, datum(0)]
		] as const) {
			const checked = verifyCheckpoint(cp.note, vkey);
			expect(checked.ok).toBe(true);
			const hashes = await inclusionProofAgainst(t.database.sql, index, cp);
			expect(verifyInclusion(index, cp.treeSize, leafHash(leaf), hashes.map(b64), checked.ok ? checked.checkpoint.rootHash : new Uint8Array())).toBe(true);
		}
		// with the upper nodes served from the per-process cache, every proof equals the uncached one
		for (let i = 0; i < fresh.treeSize; i += 97) expect(await inclusionProofAgainst(t.database.sql, i, fresh)).toEqual((await inclusionProof(db, i, fresh.treeSize)).hashes);
	});
});
