import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The process guard in a process of its own (it installs process-wide
 * listeners, which must not replace the test runner's): errors no caller
 * handled, raised inside a request's context, are logged with that request's
 * correlation id and the process goes on; before the guard is installed
 * (start-up), the same error ends the process.
 */
const SCRIPT = (install: boolean) => `
import { EventEmitter } from 'node:events';
import { installProcessGuard, requestContext, unexpectedErrors } from ${JSON.stringify(resolve('src/lib/server/telemetry/guard.ts'))};
import { createLogger } from ${JSON.stringify(resolve('src/lib/server/telemetry/logger.ts'))};
const log = createLogger('info');
${install ? 'installProcessGuard(log);' : ''}
requestContext.run({ correlationId: 'req-emitter' }, () => {
	const stream = new EventEmitter();
	setImmediate(() => stream.emit('error', new Error('stream without a listener')));
});
requestContext.run({ correlationId: 'req-timer' }, () => setTimeout(() => { throw new Error('thrown from a timer'); }, 5));
requestContext.run({ correlationId: 'req-promise' }, () => void Promise.reject(new Error('nobody awaited this')));
setTimeout(async () => {
	const counts = (await unexpectedErrors.get()).values.map((v) => [v.labels.kind, v.value]);
	console.log(JSON.stringify({ alive: true, counts }));
}, 100);
`;

function run(install: boolean) {
	const dir = mkdtempSync(join(tmpdir(), 'wipecert-guard-'));
	try {
		writeFileSync(join(dir, 'guard-run.ts'), SCRIPT(install));
		const r = spawnSync(resolve('node_modules/.bin/tsx'), [join(dir, 'guard-run.ts')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, LOG_LEVEL: 'info' } });
		const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
		return { code: r.status, lines, stderr: r.stderr };
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe('process guard', () => {
	it('logs each unexpected error with its request correlation id and keeps the process running', () => {
		const r = run(true);
		expect(r.code, r.stderr).toBe(0);
		const errors = r.lines.filter((l) => l.level === 'error');
		expect(errors.map((e) => [e.correlationId, (e.err as { message: string }).message]).sort()).toEqual([
			['req-emitter', 'stream without a listener'],
			['req-promise', 'nobody awaited this'],
			['req-timer', 'thrown from a timer']
		]);
		const summary = r.lines.find((l) => l.alive === true);
		expect(summary?.counts).toEqual(expect.arrayContaining([['uncaught_exception', 2], ['unhandled_rejection', 1]]));
	});

	it('is not installed during start-up: the same error ends the process there', () => {
		const r = run(false);
		expect(r.code).not.toBe(0);
		expect(r.lines.find((l) => l.alive === true)).toBeUndefined();
	});
});
