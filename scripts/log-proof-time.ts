/**
 * Transparency-log and certificate figures (for a release note; not a test):
 *
 *   npx tsx scripts/log-proof-time.ts [LEAVES=1000000] [BATCH=10000] [PDFS=40]
 *
 * On an embedded PostgreSQL in a temporary directory: appends LEAVES leaves
 * in batches of BATCH (one signed checkpoint per batch, as the sequencer does),
 * then times inclusion proofs at the final size (one indexed read of O(log n)
 * rows each) and their verification, a consistency proof from an early
 * checkpoint, and finally PDF render + PAdES sign per certificate with the
 * in-process keyring (the certificate's bundle carries a proof at that size).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verificationBundle } from '../src/lib/server/certificates/issue-pdf';
import { signPdf } from '../src/lib/server/certificates/pades';
import { buildCertificatePdf } from '../src/lib/server/certificates/pdf';
import { canonicalRecordBytes } from '../src/lib/server/records';
import { sampleRecord } from '../src/lib/server/certificates/sample';
import { openDatabase } from '../src/lib/server/db/client';
import { startEmbeddedPostgres } from '../src/lib/server/db/embedded';
import { applyMigrations } from '../src/lib/server/db/migrate';
import { leafHash, verifyInclusion } from '../src/lib/server/log/merkle';
import { appendLeaves, consistencyProof, inclusionProof, latestCheckpoint } from '../src/lib/server/log/store';
import { createKeyringSigner } from '../src/lib/server/signer/keyring';
import { createLogger } from '../src/lib/server/telemetry/logger';

const LEAVES = Number(process.argv[2] ?? 1_000_000);
const BATCH = Number(process.argv[3] ?? 10_000);
const PDFS = Number(process.argv[4] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'wipecert-logtime-'));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cluster = await startEmbeddedPostgres({ dataDir: dir, password: 'figures', log: createLogger('warn') });
const database = openDatabase(cluster.url, 4);
try {
	await applyMigrations(database);
	const signer = await createKeyringSigner(join(dir, 'keys'), { keys: 2, batchSize: 10, noteKeyName: 'figures.example/log' });
	const deps = { db: database.db, origin: 'figures.example/log', signNote: (b: string) => signer.signNote(b) };
	const t0 = performance.now();
	const records = new Map<number, Uint8Array>();
	for (let done = 0; done < LEAVES; done += BATCH) {
		const n = Math.min(BATCH, LEAVES - done);
		const data = Array.from({ length: n }, (_, i) => new TextEncoder().encode(`{"certificateId":"wc_figure_${done + i}"}`));
		const idx = await appendLeaves(deps, data);
		records.set(idx[0], data[0]);
		if ((done / BATCH) % 10 === 0) process.stderr.write(`${done + n} leaves…\n`);
	}
	const appendSeconds = (performance.now() - t0) / 1000;
	const cp = (await latestCheckpoint(database.db))!;
	const root = Buffer.from(cp.rootHash, 'base64');
	const proofMs: number[] = [];
	const verifyMs: number[] = [];
	let hashes = 0;
	const samples = [...records.keys()];
	for (let i = 0; i < 500; i++) {
		const index = samples[i % samples.length];
		let t = performance.now();
		const p = await inclusionProof(database.db, index, cp.treeSize);
		proofMs.push(performance.now() - t);
		hashes = Math.max(hashes, p.hashes.length);
		t = performance.now();
		const ok = verifyInclusion(index, cp.treeSize, leafHash(records.get(index)!), p.hashes.map((h) => Buffer.from(h, 'base64')), root);
		verifyMs.push(performance.now() - t);
		if (!ok) throw new Error(`inclusion proof of ${index} does not verify`);
	}
	const consMs: number[] = [];
	for (let i = 0; i < 50; i++) {
		const t = performance.now();
		await consistencyProof(database.db, BATCH * (1 + (i % Math.max(1, Math.floor(LEAVES / BATCH)))), cp.treeSize);
		consMs.push(performance.now() - t);
	}
	// PDF render + sign per certificate, with a bundle whose proof is against the large tree
	const cert = sampleRecord('wc_figurefigurefigurefigure');
	await appendLeaves(deps, [canonicalRecordBytes(cert)]);
	const { bundle, checkpoint } = await verificationBundle(database.db, { publicId: cert.certificateId, record: cert }, 'https://wipecert.example.com');
	const renderMs: number[] = [];
	const signMs: number[] = [];
	let size = 0;
	for (let i = 0; i < PDFS; i++) {
		let t = performance.now();
		const doc = await buildCertificatePdf({ publicId: cert.certificateId, locale: i % 2 ? 'de' : 'en', issuerName: cert.issuer.name, record: cert, issuedAt: new Date(cert.issuedAt), bundle, checkpoint });
		renderMs.push(performance.now() - t);
		t = performance.now();
		const { pdf } = await signPdf(doc, { sign: (d) => signer.signPdfDigest(d), reason: 'figures', name: 'WipeCert', date: new Date() });
		signMs.push(performance.now() - t);
		size = pdf.length;
	}
	const [{ rows }] = await database.sql`select count(*)::int as rows from log_nodes`;
	const total = renderMs.map((r, i) => r + signMs[i]);
	console.log(
		JSON.stringify(
			{
				leaves: cp.treeSize,
				batch: BATCH,
				appendSeconds: Number(appendSeconds.toFixed(1)),
				appendLeavesPerSecond: Math.round(LEAVES / appendSeconds),
				storedNodes: rows,
				inclusionProof: { hashes, meanMs: Number(mean(proofMs).toFixed(2)), p95Ms: Number(pct(proofMs, 95).toFixed(2)), verifyMeanMs: Number(mean(verifyMs).toFixed(3)) },
				consistencyProof: { meanMs: Number(mean(consMs).toFixed(2)), p95Ms: Number(pct(consMs, 95).toFixed(2)) },
				pdf: {
					count: PDFS,
					renderMeanMs: Number(mean(renderMs.slice(2)).toFixed(1)),
					signMeanMs: Number(mean(signMs.slice(2)).toFixed(1)),
					renderPlusSignMeanMs: Number(mean(total.slice(2)).toFixed(1)),
					renderPlusSignP95Ms: Number(pct(total.slice(2), 95).toFixed(1)),
					bytes: size
				}
			},
			null,
			2
		)
	);
	await signer.close();
} finally {
	await database.close(1);
	await cluster.stop();
	rmSync(dir, { recursive: true, force: true });
}
