/**
 * Bulk upload memory: the web server's RSS while an operator uploads FILES
 * proofs through POST /api/v1/proofs/bulk (multipart, FILES_PER_REQUEST a
 * request, one request after the other as the certify benchmark and the
 * dashboard send them), sampled every SAMPLE_MS. Workers are off
 * (WORKERS=none): what is measured is the upload path alone — spool, parse,
 * object puts, registration and the answer — not the certification that
 * certify.web_rss_max also spans.
 *
 * The files are DER SEQUENCEs of random bytes of a proof's usual size: the
 * upload path checks only the DER shape (the worker opens the CMS), so they
 * cost what real proofs cost there, without generating 10,000 real ones.
 *
 * Baseline, same run: the same process's RSS once ready, before the upload.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { cpuMs, percentile, postgresCpuMs, result, root, startApp } from './lib.mjs';

const FILES_PER_REQUEST = 500;
const PROOF_BYTES = 6 * 1024;
const SAMPLE_MS = 100;

function rssMb(pid) {
	try {
		return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
	} catch {
		return null;
	}
}

/** A DER SEQUENCE (X.690 §8.9) with a two-byte length around `size` random bytes. */
function derLike(size) {
	return Buffer.concat([Buffer.from([0x30, 0x82, size >> 8, size & 0xff]), randomBytes(size)]);
}

export async function bulkBenchmark({ quick, support, log, appRoot = root, files: forFiles }) {
	const files = forFiles ?? (quick ? 1_000 : 10_000);
	const app = await startApp({ WORKERS: 'none' }, { name: 'bulk', appRoot });
	try {
		const operator = await support.signInToApp(app.origin, 'operator@acme.test');
		// settle after start-up (first requests load routes): the idle RSS is the baseline
		await new Promise((r) => setTimeout(r, 2000));
		const idle = rssMb(app.pid);
		const samples = [];
		const sampler = setInterval(() => {
			const mb = rssMb(app.pid);
			if (mb !== null) samples.push(mb);
		}, SAMPLE_MS);
		const load0 = Math.round(loadavg()[0] * 100) / 100;
		const cpu0 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		const t0 = performance.now();
		log(`bulk: ${files} files of ${PROOF_BYTES} bytes through POST /api/v1/proofs/bulk, ${FILES_PER_REQUEST} a request; web RSS every ${SAMPLE_MS} ms`);
		let accepted = 0;
		try {
			for (let i = 0; i < files; i += FILES_PER_REQUEST) {
				const form = new FormData();
				for (let j = i; j < Math.min(files, i + FILES_PER_REQUEST); j++) form.append('file', new Blob([derLike(PROOF_BYTES)]), `bulk-${j}.der`);
				const r = await fetch(`${app.origin}/api/v1/proofs/bulk`, { method: 'POST', body: form, headers: { cookie: operator.header(), origin: app.origin } });
				const body = await r.json();
				if (r.status !== 202) throw new Error(`bulk answered ${r.status}: ${JSON.stringify(body).slice(0, 300)}`);
				accepted += body.items.filter((item) => item?.publicId).length;
			}
		} finally {
			clearInterval(sampler);
		}
		const seconds = (performance.now() - t0) / 1000;
		const cpu1 = { app: cpuMs(app.pid), db: postgresCpuMs(app.dataDir) };
		if (accepted !== files) throw new Error(`bulk accepted ${accepted} of ${files} files`);
		const per = (a, b) => (a === null || b === null ? null : Math.round(((b - a) / files) * 100) / 100);
		return [
			result('bulk.web_rss_max', 'MB', samples.length ? Math.max(...samples) : null, idle, {
				files,
				filesPerRequest: FILES_PER_REQUEST,
				proofBytes: PROOF_BYTES,
				seconds: Math.round(seconds * 10) / 10,
				filesPerSecond: Math.round(files / seconds),
				samples: samples.length,
				rssP50: percentile(samples, 50),
				idleRss: idle,
				loadAverage1mBefore: load0,
				appCpuMsPerFile: per(cpu0.app, cpu1.app),
				dbCpuMsPerFile: per(cpu0.db, cpu1.db),
				meaning: 'peak RSS of the web process (WORKERS=none) during the upload; baseline: its RSS idle before it'
			})
		];
	} finally {
		await app.stop();
	}
}
