#!/usr/bin/env node
/**
 * `npm run bench -- [--quick] [--out DIR] [--only NAME,...]`: runs the
 * benchmarks, each side by side with its raw baseline in the same run (the
 * machines are shared and noisy: ratios, not absolute figures, are compared),
 * and writes DIR/results.json — a list of `{name, value, unit, baseline, ratio}`
 * (ratio = value / baseline; a benchmark that cannot run yet says why in
 * `skipped`) — and DIR/results.md. DIR defaults to bench/ only for a full run
 * (every benchmark at full size): the committed results change only when such
 * a run is made on purpose. A `--quick` or `--only` run without `--out` writes
 * to a new temporary directory and says where.
 *
 * `--quick` uses small sizes (under 3 minutes) and runs in `npm test` so the
 * harness keeps working; it asserts no timings, only that the harness runs and
 * its JSON is well-formed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ingestBenchmark } from './ingest.mjs';
import { bulkBenchmark } from './bulk.mjs';
import { certifyBenchmark } from './certify.mjs';
import { logBenchmark } from './log.mjs';
import { notifyBenchmark } from './notify.mjs';
import { verifyBenchmark } from './verify.mjs';
import { reportsBenchmark } from './reports.mjs';
import { root, skipped, snapshotBuild } from './lib.mjs';

const { values } = parseArgs({
	options: { quick: { type: 'boolean', default: false }, 'certify-proofs': { type: 'string' }, 'certify-workers': { type: 'string', default: 'separate' }, 'proof-workers': { type: 'string' }, out: { type: 'string' }, app: { type: 'string' }, 'ingest-rate': { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
	strict: true
});
if (values.help) {
	process.stdout.write('usage: npm run bench -- [--quick] [--out DIR] [--only ingest,bulk,certify,verify,log,reports,notify] [--certify-proofs N] [--certify-workers separate|embedded] [--proof-workers N (default: cores)] [--app DIR (another checkout, built: its build is measured)] [--ingest-rate N (open-loop proofs/s, default 200)]\n');
	process.exit(0);
}
const quick = values.quick;
const fullRun = !quick && !values.only;
const outDir = resolve(values.out ?? (fullRun ? join(root, 'bench') : mkdtempSync(join(tmpdir(), 'wipecert-bench-'))));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

// The app and the agent simulator run from the build: build it when missing or stale (like npm start).
process.chdir(root);
await import('../scripts/ensure-build.mjs');
const support = await (await import('./lib.mjs')).loadSupport(join(root, 'bench/out'));
// --app: another checkout's build (e.g. the commit before a change, built there) run by this harness, for a before/after on the same machine
const appRoot = snapshotBuild(values.app ? resolve(values.app) : root);
process.on('exit', () => rmSync(appRoot, { recursive: true, force: true }));

/** Every benchmark; the ones whose parts are not built yet say so instead of pretending. */
const BENCHMARKS = {
	ingest: () => ingestBenchmark({ quick, support, log, appRoot, openRate: values['ingest-rate'] ? Number(values['ingest-rate']) : undefined }),
	bulk: () => bulkBenchmark({ quick, support, log, appRoot }),
	certify: () => certifyBenchmark({ quick, support, log, appRoot, count: values['certify-proofs'] ? Number(values['certify-proofs']) : undefined, workers: values['certify-workers'], proofWorkers: values['proof-workers'] ? Number(values['proof-workers']) : undefined }),
	verify: () => verifyBenchmark({ quick, support, log, appRoot }),
	log: () => logBenchmark({ quick, support, log, appRoot }),
	reports: () => reportsBenchmark({ quick, support, log, appRoot }),
	notify: () => notifyBenchmark({ quick, support, log, appRoot })
};
const only = values.only ? values.only.split(',') : Object.keys(BENCHMARKS);
for (const name of only) if (!(name in BENCHMARKS)) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`);

const started = performance.now();
const results = [];
for (const name of only) {
	log(`${name}${quick ? ' (quick)' : ''}`);
	try {
		results.push(...(await BENCHMARKS[name]()));
	} catch (error) {
		// a benchmark that breaks is a failure of the harness, not a skip
		log(`${name} failed: ${error instanceof Error ? error.stack : error}`);
		process.exitCode = 1;
	}
}

const Row = z.object({
	name: z.string().regex(/^[a-z0-9_.]+$/),
	value: z.number().finite().nullable(),
	unit: z.string().min(1),
	baseline: z.number().finite().nullable(),
	ratio: z.number().finite().nullable(),
	skipped: z.string().min(1).optional()
}).loose().refine((r) => (r.skipped ? r.value === null : r.value !== null), 'a row has a value unless skipped');
const checked = z.array(Row).safeParse(results);
if (!checked.success) {
	log(`results are malformed: ${checked.error.message}`);
	process.exitCode = 1;
}

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
const cell = (v) => (v === null || v === undefined ? '—' : String(v));
const md = [
	`# WipeCert benchmarks${quick ? ' (quick run: small sizes, not for comparison)' : ''}`,
	'',
	`${new Date().toISOString()} · ${(await import('node:os')).cpus().length} CPUs · Node ${process.version} · ${Math.round((performance.now() - started) / 1000)} s`,
	'',
	'| benchmark | value | unit | baseline | ratio (value / baseline) |',
	'|---|---|---|---|---|',
	...results.map((r) => `| ${r.name} | ${r.skipped ? `skipped: ${r.skipped}` : cell(r.value)} | ${r.unit} | ${cell(r.baseline)} | ${cell(r.ratio)} |`),
	'',
	'Baselines run in the same run, on the same database and data as the measured path:',
	'- ingest: a raw INSERT loop of the same proof rows through postgres.js (50 loops, pool of 10); details carry CPU ms per request of the app and of PostgreSQL, and pg_stat_activity wait events;',
	'- certify: the same domain functions (openProof, hmac, signer.signBatch, log leaf + signed checkpoint per batch in memory, PDF render + PAdES sign) in one plain loop without database or queue; details carry the rate per tenth, RSS per tenth and the baseline\'s ms per step (open: RSA-OAEP proofs, openEcdh: ECDH P-256 proofs from agent-sim --encryption ecdh) and CPU ms per open of each (baselineOpenCpuMs);',
	'- certify.crypto_floor: the bare node:crypto primitives of one certificate (key unwrap, AES-GCM, signature verifications, receipt, checkpoint and PDF signatures, hashes) at the sizes the plain loop saw, in CPU ms, against the CPU ms per certificate of every process of the run (ratio = ratio_to_floor);',
	'- verify: a raw SELECT of a certificate by public id (50 loops, pool of 10); verify.vs_bare_http: a bare node:http server answering the same JSON from the same domain function (its own process, same pool), same load; verify.open_loop_*: open-loop load at half the app\'s maximum rate, app against the bare server at the same rate;',
	'- log: the same inclusion proof computed from the same subtree hashes held in memory.',
	''
].join('\n');
writeFileSync(join(outDir, 'results.md'), md);
process.stdout.write(md);
log(`wrote ${join(outDir, 'results.json')} and results.md`);
// A benchmark that failed half-way may leave a handle open (a pool, a keep-alive socket): the run is over either way.
process.exit(process.exitCode ?? 0);
