/**
 * Log: RFC 9162 inclusion proof time at 1,000, 100,000 and
 * 1,000,000 leaves (quick: 1,000 and 20,000). The tree is the log module's own
 * table of complete subtrees in the app's database: all but the last leaf are
 * seeded with SQL (leaf and node hashes computed by PostgreSQL, level by level,
 * exactly as the sequencer would store them), the last leaf goes through the
 * module's appendLeaves, which checks the right edge it builds on and publishes
 * a signed checkpoint of that size.
 *
 * Measured: `inclusionProof(db, index, size)` (what GET /api/v1/log/proofs/inclusion
 * runs: checkpoint lookup + one read of O(log n) nodes) at random leaves, and at
 * 1M also the HTTP route end to end. Baseline, same run and same tree: the proof
 * computed in memory from the same subtree hashes held in arrays (no database).
 * Every proof is checked against the in-memory one and verified against the root.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedDatabaseUrl, percentile, result, root, startApp } from './lib.mjs';

const ORIGIN_LINE = 'bench.wipecert.test/log';
const leafData = (i) => Buffer.from(`bench-leaf-${i}`, 'utf8');
const label = (n) => (n >= 1_000_000 ? `${n / 1_000_000}m` : n >= 1000 ? `${n / 1000}k` : String(n));

/** The same tree in memory: levels[l] holds the hashes of the complete subtrees of level l, 32 bytes each. */
export class MemoryTree {
	levels = [Buffer.alloc(0)];
	size = 0;
	grow(n) {
		const leaves = Buffer.alloc(n * 32);
		this.levels[0].copy(leaves);
		for (let i = this.size; i < n; i++) createHash('sha256').update(Buffer.of(0)).update(leafData(i)).digest().copy(leaves, i * 32);
		this.levels[0] = leaves;
		for (let l = 1; 2 ** l <= n; l++) {
			const below = this.levels[l - 1];
			const count = Math.floor(n / 2 ** l);
			const have = this.levels[l] ? this.levels[l].length / 32 : 0;
			const level = Buffer.alloc(count * 32);
			if (this.levels[l]) this.levels[l].copy(level);
			for (let i = have; i < count; i++) {
				createHash('sha256').update(Buffer.of(1)).update(below.subarray(64 * i, 64 * i + 64)).digest().copy(level, i * 32);
			}
			this.levels[l] = level;
		}
		this.size = n;
	}
	/** leaf hashes appended at the right edge; the complete subtrees they finish are computed */
	appendLeaves(hashes) {
		const n = this.size + hashes.length;
		const leaves = Buffer.alloc(n * 32);
		this.levels[0].copy(leaves);
		hashes.forEach((h, i) => Buffer.from(h).copy(leaves, (this.size + i) * 32));
		this.levels[0] = leaves;
		this.extend(n);
	}
	extend(n) {
		for (let l = 1; 2 ** l <= n; l++) {
			const below = this.levels[l - 1];
			const count = Math.floor(n / 2 ** l);
			const have = this.levels[l] ? this.levels[l].length / 32 : 0;
			if (count === have) continue;
			const level = Buffer.alloc(count * 32);
			if (this.levels[l]) this.levels[l].copy(level);
			for (let i = have; i < count; i++) createHash('sha256').update(Buffer.of(1)).update(below.subarray(64 * i, 64 * i + 64)).digest().copy(level, i * 32);
			this.levels[l] = level;
		}
		this.size = n;
	}
	node = (k) => this.levels[k.level]?.subarray(k.index * 32, k.index * 32 + 32);
}

/** Leaves [from, to−1) and their complete subtrees, by SQL; leaf to−1 through appendLeaves (signed checkpoint of size `to`). */
export async function seed(sql, deps, support, from, to) {
	await sql`insert into log_nodes (level, idx, hash)
		select 0, g, sha256('\\x00'::bytea || convert_to('bench-leaf-' || g, 'UTF8')) from generate_series(${from}::bigint, ${to - 2}::bigint) g`;
	const last = to - 1;
	for (let level = 1, lo = from; 2 ** level <= last; level++) {
		const first = Math.floor(lo / 2);
		// parents of the new nodes one level down that are complete in a tree of `last` leaves
		const done = await sql`insert into log_nodes (level, idx, hash)
			select ${level}::smallint, l.idx / 2, sha256('\\x01'::bytea || l.hash || r.hash)
			from log_nodes l join log_nodes r on r.level = l.level and r.idx = l.idx + 1
			where l.level = ${level - 1} and l.idx >= ${2 * first}::bigint and l.idx % 2 = 0`;
		if (done.count === 0) break;
		lo = first;
	}
	const [index] = await support.appendLeaves(deps, [leafData(last)]);
	if (index !== last) throw new Error(`appendLeaves put the last leaf at ${index}, expected ${last}`);
}

export async function logBenchmark({ quick, support, log, appRoot = root }) {
	const sizes = quick ? [1000, 20_000] : [1000, 100_000, 1_000_000];
	const samples = quick ? 100 : 500;
	const app = await startApp({ WORKERS: 'none', RATE_LIMIT_VERIFY: 'off' }, { name: 'log', appRoot });
	const keys = mkdtempSync(join(tmpdir(), 'wipecert-bench-keys-'));
	const database = support.openDatabase(embeddedDatabaseUrl(app.dataDir), 4);
	const signer = await support.createKeyringSigner(keys, { keys: 1, batchSize: 10, noteKeyName: ORIGIN_LINE });
	const deps = { db: database.db, origin: ORIGIN_LINE, signNote: (body) => signer.signNote(body) };
	const rows = [];
	try {
		const [{ n }] = await database.sql`select count(*)::int as n from log_nodes`;
		if (n !== 0) throw new Error('the log of a fresh app is not empty');
		const memory = new MemoryTree();
		let size = 0;
		for (const target of sizes) {
			const t = performance.now();
			await seed(database.sql, deps, support, size, target);
			memory.grow(target);
			size = target;
			log(`log: ${target} leaves seeded in ${Math.round(performance.now() - t)} ms; ${samples} proofs`);
			const treeRoot = rootOf(memory, support, target);
			const dbMs = [];
			const memMs = [];
			for (let i = 0; i < samples; i++) {
				const index = Math.floor(Math.random() * target);
				let t0 = performance.now();
				const proof = await support.inclusionProof(database.db, index, target);
				dbMs.push(performance.now() - t0);
				t0 = performance.now();
				const ranges = support.inclusionRanges(index, target);
				const expected = support.rangeHashes(ranges, memory.node);
				memMs.push(performance.now() - t0);
				const got = proof.hashes.map((h) => Buffer.from(h, 'base64'));
				if (got.length !== expected.length || got.some((h, j) => !h.equals(Buffer.from(expected[j])))) throw new Error(`inclusion proof of ${index} in ${target} differs from the in-memory tree`);
				if (!support.verifyInclusion(index, target, memory.node({ level: 0, index }), got, treeRoot)) throw new Error(`inclusion proof of ${index} in ${target} does not verify`);
			}
			const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
			rows.push(
				result(`log.inclusion_proof_${label(target)}`, 'ms', mean(dbMs), mean(memMs), {
					leaves: target,
					proofs: samples,
					p50: percentile(dbMs, 50),
					p99: percentile(dbMs, 99),
					baselineP99: percentile(memMs, 99),
					hashesPerProof: support.inclusionRanges(0, target).length
				})
			);
		}
		// the same proof through the public route at the largest size: HTTP + JSON on top of the read
		const httpMs = [];
		for (let i = 0; i < samples; i++) {
			const index = Math.floor(Math.random() * size);
			const t0 = performance.now();
			const r = await fetch(`${app.origin}/api/v1/log/proofs/inclusion?index=${index}&treeSize=${size}`);
			const body = await r.json();
			httpMs.push(performance.now() - t0);
			if (r.status !== 200 || body.leafIndex !== index) throw new Error(`GET /api/v1/log/proofs/inclusion answered ${r.status}: ${JSON.stringify(body).slice(0, 300)}`);
		}
		const base = rows.at(-1);
		rows.push(
			result(`log.inclusion_proof_http_${label(size)}`, 'ms', percentile(httpMs, 50), base.baseline, { leaves: size, requests: samples, p99: percentile(httpMs, 99), sequential: true })
		);
		return rows;
	} finally {
		await signer.close?.();
		await database.close(2);
		rmSync(keys, { recursive: true, force: true });
		await app.stop();
	}
}

/** MTH of the whole tree from the in-memory subtrees (RFC 9162 §2.1.1), for verifying the proofs. */
export function rootOf(memory, support, n) {
	const nodes = [];
	for (let start = 0; start < n; ) {
		let level = 0;
		while (start % 2 ** (level + 1) === 0 && start + 2 ** (level + 1) <= n) level++;
		nodes.push(memory.node({ level, index: start / 2 ** level }));
		start += 2 ** level;
	}
	let acc = nodes.at(-1);
	for (let i = nodes.length - 2; i >= 0; i--) acc = support.nodeHash(nodes[i], acc);
	return acc;
}
