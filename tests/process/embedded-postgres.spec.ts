import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireBuild, startNode, tempDir } from '../helpers/process';

/**
 * The database at start, through the real `migrate` entry:
 * embedded under DATA_DIR/pg when DATABASE_URL is unset, initialised once and
 * reused; an unreachable server is one clear message and exit 1.
 */
beforeAll(() => requireBuild('migrate.js'));
const data = tempDir('embedded');
afterAll(() => data.remove());

/** pg_control starts with the cluster's system identifier (8 bytes), fixed at initdb. */
const systemIdentifier = () => readFileSync(join(data.path, 'pg', 'global', 'pg_control')).subarray(0, 8).toString('hex');

describe('embedded PostgreSQL (DATABASE_URL unset)', () => {
	let firstId = '';

	it('first start initialises DATA_DIR/pg, runs on a free port, migrates, and stops on exit', async () => {
		const proc = startNode('build/migrate.js', [], { DATA_DIR: data.path, LOG_LEVEL: 'info' });
		const exit = await proc.exit(120_000);
		expect(exit.code, proc.output()).toBe(0);
		const logs = proc.logs();
		expect(logs.map((l) => l.msg)).toContain('initialising embedded PostgreSQL (first start)');
		const started = logs.find((l) => l.msg === 'embedded PostgreSQL started');
		expect(started).toMatchObject({ fresh: true });
		expect(started!.port).not.toBe(5432);
		expect(logs.map((l) => l.msg)).toContain('migrations applied');
		expect(logs.map((l) => l.msg)).toContain('stopping embedded PostgreSQL');
		expect(existsSync(join(data.path, 'pg', 'PG_VERSION'))).toBe(true);
		// stopped: no postmaster left behind
		expect(existsSync(join(data.path, 'pg', 'postmaster.pid'))).toBe(false);
		firstId = systemIdentifier();
	});

	it('a second start with the same DATA_DIR reuses the cluster (no re-init)', async () => {
		expect(firstId).not.toBe('');
		const proc = startNode('build/migrate.js', [], { DATA_DIR: data.path, LOG_LEVEL: 'info' });
		const exit = await proc.exit(60_000);
		expect(exit.code, proc.output()).toBe(0);
		const logs = proc.logs();
		expect(logs.filter((l) => l.msg === 'initialising embedded PostgreSQL (first start)')).toEqual([]);
		expect(logs.find((l) => l.msg === 'embedded PostgreSQL started')).toMatchObject({ fresh: false });
		expect(systemIdentifier()).toBe(firstId);
		expect(existsSync(join(data.path, 'pg', 'postmaster.pid'))).toBe(false);
	});
});

describe('PostgreSQL unreachable', () => {
	it('DATABASE_URL to a closed port: one clear message naming host, port and what to do; exit 1', async () => {
		const port = await freePort(); // bound and released: nothing listens there
		const dir = tempDir('unreachable');
		try {
			const proc = startNode('build/migrate.js', [], {
				DATA_DIR: dir.path,
				DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${port}/wipecert`,
				LOG_LEVEL: 'info'
			});
			const exit = await proc.exit(30_000);
			expect(exit.code).toBe(1);
			const fatal = proc.logs().filter((l) => l.level === 'fatal');
			expect(fatal).toHaveLength(1);
			expect(fatal[0].msg).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database wipecert\\) is unreachable: .+Check DATABASE_URL, or unset it to use the embedded database\\.$`));
			expect(proc.output()).not.toContain('s3cret-pw');
		} finally {
			dir.remove();
		}
	});
});
