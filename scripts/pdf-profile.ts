/**
 * Certificate PDF render + PAdES sign per certificate, and the process's RSS
 * over the run (a profile; not a test, no database):
 *
 *   npx tsx scripts/pdf-profile.ts [N=200] [LOCALE=en|de|mixed]
 *   node --cpu-prof --import tsx scripts/pdf-profile.ts 200   # then open the .cpuprofile
 *
 * The bundle carries a synthetic 20-hash inclusion proof (a log of ~1M leaves)
 * and a checkpoint note of realistic size; the signer is the in-process keyring.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_FORMAT, type VerificationBundle } from '../src/lib/server/certificates/bundle';
import { signPdf } from '../src/lib/server/certificates/pades';
import { buildCertificatePdf } from '../src/lib/server/certificates/pdf';
import { canonicalJson } from '../src/lib/server/records';
import { sampleRecord } from '../src/lib/server/certificates/sample';
import { createKeyringSigner } from '../src/lib/server/signer/keyring';

const N = Number(process.argv[2] ?? 200);
const LOCALE = (process.argv[3] ?? 'mixed') as 'en' | 'de' | 'mixed';
const dir = mkdtempSync(join(tmpdir(), 'wipecert-pdf-profile-'));
const signer = await createKeyringSigner(join(dir, 'keys'), { keys: 2, batchSize: 10, noteKeyName: 'profile.example/log' });
const hash = Buffer.alloc(32, 7).toString('base64');
const mb = () => Math.round(process.memoryUsage().rss / 1048576);

const times = { render: [] as number[], sign: [] as number[] };
// CPU (user + system, whole process) per step: what the shared machine's noise does not move much
const cpuSteps = { render: 0, sign: 0 };
const cpuNow = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};
const rss: number[] = [];
const heapAfterGc: number[] = [];
let size = 0;
const t0 = performance.now();
let cpu0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
	const publicId = `wc_${String(i).padStart(26, 'a')}`;
	const record = sampleRecord(publicId);
	const locale = LOCALE === 'mixed' ? (i % 2 ? 'de' : 'en') : LOCALE;
	const bundle: VerificationBundle = {
		format: BUNDLE_FORMAT,
		publicId,
		record: canonicalJson(record),
		leafIndex: 1_000_000 + i,
		inclusion: { treeSize: 1_048_576, hashes: Array.from({ length: 20 }, () => hash) },
		checkpoint: `profile.example/log\n1048576\n${hash}\n\n— profile.example/log ${Buffer.alloc(68, 1).toString('base64')}\n`,
		verifyUrl: `https://wipecert.example/verify/${publicId}`
	};
	const ca = cpuNow();
	const a = performance.now();
	const doc = await buildCertificatePdf({ publicId, locale, issuerName: record.issuer.name, record, issuedAt: new Date(record.issuedAt), bundle, checkpoint: { treeSize: 1_048_576, rootHash: hash } });
	const b = performance.now();
	const cb = cpuNow();
	const { pdf } = await signPdf(doc, { sign: (d) => signer.signPdfDigest(d), reason: 'profile', name: 'WipeCert', date: new Date() });
	const c = performance.now();
	const cc = cpuNow();
	size = pdf.length;
	// the first one pays for font loading; keep it apart
	if (i > 0) {
		times.render.push(b - a);
		times.sign.push(c - b);
		cpuSteps.render += cb - ca;
		cpuSteps.sign += cc - cb;
	} else {
		cpu0 = process.cpuUsage();
		console.log(`first certificate: render ${(b - a).toFixed(1)} ms, sign ${(c - b).toFixed(1)} ms`);
	}
	if (i % Math.max(1, Math.floor(N / 10)) === 0) {
		rss.push(mb());
		// with --expose-gc: live heap after a full collection, the leak signal (RSS alone mostly shows V8 growing its spaces)
		const gc = (globalThis as { gc?: () => void }).gc;
		if (gc) {
			gc();
			heapAfterGc.push(Math.round(process.memoryUsage().heapUsed / 1048576));
		}
	}
}
const total = (performance.now() - t0) / 1000;
const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const p = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))];
console.log(
	JSON.stringify(
		{
			certificates: N,
			locale: LOCALE,
			pdfBytes: size,
			msPerCertificate: { render: +avg(times.render).toFixed(2), sign: +avg(times.sign).toFixed(2), total: +(avg(times.render) + avg(times.sign)).toFixed(2) },
			p99: { render: +p(times.render, 0.99).toFixed(2), sign: +p(times.sign, 0.99).toFixed(2) },
			// CPU time (user + system) per certificate after the first: steadier than wall time on a shared machine
			cpuMsPerStep: { render: +(cpuSteps.render / (N - 1)).toFixed(2), sign: +(cpuSteps.sign / (N - 1)).toFixed(2) },
			cpuMsPerCertificate: +((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000 / (N - 1)).toFixed(2),
			certificatesPerSecond: +(N / total).toFixed(1),
			rssMbPerTenth: rss,
			...(heapAfterGc.length ? { heapMbAfterGcPerTenth: heapAfterGc } : {}),
			heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1048576)
		},
		null,
		1
	)
);
await signer.close();
rmSync(dir, { recursive: true, force: true });
