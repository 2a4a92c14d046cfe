/**
 * `npm run fuzz -- [--cases N] [--seed S] [--concurrency C]`: the fuzz suite
 * of `npm test` (tests/fuzz/engine.ts) at release size, against the built app
 * on its own embedded database and DATA_DIR. Prints the answers by status and
 * every failing case (seed and index replay it: FUZZ_SEED / FUZZ_CASES for the
 * test); exit 1 when a case failed, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { startApp } from '../bench/lib.mjs';
import { describeFailure, runFuzz } from '../tests/fuzz/engine';

let values: { cases: string; seed: string; concurrency: string };
try {
	({ values } = parseArgs({ options: { cases: { type: 'string', default: '10000' }, seed: { type: 'string', default: String(Date.now() % 1_000_000_007) }, concurrency: { type: 'string', default: '8' } }, strict: true }) as { values: typeof values });
} catch (error) {
	process.stderr.write(`fuzz: ${(error as Error).message}\nusage: npm run fuzz -- [--cases N] [--seed S] [--concurrency C]\n`);
	process.exit(2);
}
const cases = Number(values.cases);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
if (![cases, seed, concurrency].every((n) => Number.isInteger(n) && n > 0)) {
	process.stderr.write('fuzz: --cases, --seed and --concurrency are positive whole numbers\n');
	process.exit(2);
}

const app = await startApp({ WORKERS: 'none', RATE_LIMIT_INGEST: 'off', RATE_LIMIT_VERIFY: 'off', RATE_LIMIT_DEFAULT: 'off', RATE_LIMIT_SIGNIN: '1000/60', RATE_LIMIT_TOKEN: '1000/60' }, { name: 'fuzz' });
try {
	process.stderr.write(`[fuzz] seed ${seed}, ${cases} cases against ${app.origin}\n`);
	const report = await runFuzz({ origin: app.origin, seed, cases, concurrency, onProgress: (n) => process.stderr.write(`[fuzz] ${n} / ${cases}\n`) });
	const unexpected = app.output().split('\n').filter((l) => /"msg":"(unhandled error|unexpected error|unhandled rejection)/.test(l));
	for (const f of report.failures) process.stderr.write(`${describeFailure(seed, f)}\n`);
	for (const l of unexpected) process.stderr.write(`server log: ${l.slice(0, 400)}\n`);
	process.stdout.write(JSON.stringify({ seed, cases: report.cases, seconds: report.seconds, byStatus: report.byStatus, failures: report.failures.length, unexpectedErrors: unexpected.length }) + '\n');
	process.exitCode = report.failures.length || unexpected.length ? 1 : 0;
} finally {
	await app.stop();
}
