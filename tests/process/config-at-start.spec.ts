import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db';
import { requireBuild, startNode, tempDir } from '../helpers/process';

/** Settings problems stop a real entry (`node build/migrate.js`) before it touches anything. */
beforeAll(() => requireBuild('migrate.js'));
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));
const dataDir = () => {
	const d = tempDir('config');
	dirs.push(d);
	return d.path;
};

describe('config at start', () => {
	it('bad settings: every problem printed (variable, what is wrong, example), exit 1', async () => {
		const dir = dataDir();
		const proc = startNode('build/migrate.js', [], {
			DATA_DIR: dir,
			PORT: 'eighty',
			LOG_LEVEL: 'loud',
			DATABASE_URL: 'mysql://app:hunter2@db/wipecert',
			WORKER_CONCURRENCY: '0'
		});
		const exit = await proc.exit();
		expect(exit.code).toBe(1);
		const out = proc.output();
		expect(out).toContain('WipeCert cannot start: the settings have problems.');
		for (const [name, example] of [
			['PORT', '8080'],
			['LOG_LEVEL', 'debug'],
			['DATABASE_URL', 'postgres://wipecert:secret@db.internal:5432/wipecert'],
			['WORKER_CONCURRENCY', '4']
		]) {
			expect(out).toMatch(new RegExp(`^  ${name}: .+\\(example: ${name}=${example.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`, 'm'));
		}
		expect(out).toContain('must use postgres or postgresql');
		expect(out).toContain('"eighty"');
		// a secret setting's value is never echoed, and there is no stack trace
		expect(out).not.toContain('hunter2');
		expect(out).not.toMatch(/\n\s+at /);
		// nothing was started or generated
		expect(() => statSync(join(dir, 'secrets.json'))).toThrow();
	});

	it('NODE_ENV=production without secrets refuses to start, naming each missing one', async () => {
		const dir = dataDir();
		const proc = startNode('build/migrate.js', [], { NODE_ENV: 'production', DATA_DIR: dir });
		expect((await proc.exit()).code).toBe(1);
		for (const name of ['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEYS', 'DATABASE_URL', 'ORIGIN', 'OIDC_ISSUER', 'OIDC_CLIENT_SECRET']) {
			expect(proc.output()).toMatch(new RegExp(`^  ${name}: must be set when NODE_ENV=production`, 'm'));
		}
		expect(() => statSync(join(dir, 'secrets.json'))).toThrow();
	});

	it('embedded-mode secrets are generated once into DATA_DIR/secrets.json (0600) and reused', async () => {
		const db = await createTestDatabase({ migrate: false });
		try {
			const dir = dataDir();
			const env = { DATA_DIR: dir, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
			const first = startNode('build/migrate.js', [], env);
			expect((await first.exit()).code, first.output()).toBe(0);
			const file = join(dir, 'secrets.json');
			expect(statSync(file).mode & 0o777).toBe(0o600);
			const content = readFileSync(file, 'utf8');
			expect(Object.keys(JSON.parse(content)).sort()).toEqual(['ingestPassword', 'oidcClientSecret', 'postgresPassword', 'sessionSecret', 'tokenEncryptionKeys']);
			const second = startNode('build/migrate.js', [], env);
			expect((await second.exit()).code, second.output()).toBe(0);
			expect(readFileSync(file, 'utf8')).toBe(content);
			// the generated values never reach the log
			const secrets = Object.values(JSON.parse(content) as Record<string, string>);
			for (const s of secrets) expect(first.output() + second.output()).not.toContain(s);
		} finally {
			await db.drop();
		}
	});
});
