import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../helpers/app-process';
import { describeFailure, runFuzz, type Report } from '../fuzz/engine';

/**
 * The fuzz suite in `npm test`: a few thousand seeded cases over every
 * OpenAPI operation (tests/fuzz/engine.ts) against the built app: no answer
 * is 5xx, every API error is the envelope, the server is healthy after, and
 * it logged no unexpected error. `npm run fuzz -- --cases 100000` for a
 * release; `FUZZ_SEED` / `FUZZ_CASES` replay or widen this run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);

let app: AppProcess;
let report: Report;

beforeAll(async () => {
	app = await startApp({ RATE_LIMIT_INGEST: 'off', RATE_LIMIT_VERIFY: 'off', RATE_LIMIT_DEFAULT: 'off', LOG_LEVEL: 'warn' });
	report = await runFuzz({ origin: app.origin, seed: SEED, cases: CASES });
	console.log(`fuzz: ${report.cases} cases in ${report.seconds} s, by status ${JSON.stringify(report.byStatus)}`);
}, 300_000);
afterAll(async () => app?.stop());

describe(`fuzz (seed ${SEED}, ${CASES} cases)`, () => {
	it('no 5xx, every API error in the envelope, healthy after', () => {
		expect(report.failures.map((f) => describeFailure(SEED, f))).toEqual([]);
		expect(Object.values(report.byStatus).reduce((a, b) => a + b, 0)).toBe(CASES);
	});

	it('the server logged no unhandled or unexpected error', () => {
		expect(app.output()).not.toMatch(/"msg":"(unhandled error|unexpected error|unhandled rejection)/);
	});
});
