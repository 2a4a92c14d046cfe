import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadGeneratedSecrets, parseConfig, resolveConfig, settings } from './index';

const dirs: string[] = [];
const tempDir = () => {
	const d = mkdtempSync(join(tmpdir(), 'wipecert-config-'));
	dirs.push(d);
	return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function problemsOf(env: Record<string, string>): ConfigError['problems'] {
	try {
		parseConfig(env);
	} catch (error) {
		expect(error).toBeInstanceOf(ConfigError);
		return (error as ConfigError).problems;
	}
	throw new Error('parseConfig accepted a bad environment');
}

describe('parseConfig', () => {
	it('accepts an empty environment: every setting has a default', () => {
		const config = parseConfig({});
		expect(config.PORT).toBe(3000);
		expect(config.DATA_DIR).toBe('.data');
		expect(config.WORKERS).toBe('embedded');
		expect(config.DATABASE_URL).toBeUndefined();
	});

	it('lists every problem at once: the variable, what is wrong and an example', () => {
		const problems = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://db/x', WORKERS: 'some', QUEUE_RETRY_LIMIT: '-1' });
		const byVar = new Map(problems.map((p) => [p.variable, p]));
		expect([...byVar.keys()].sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'QUEUE_RETRY_LIMIT', 'WORKERS']);
		for (const p of problems) {
			expect(p.problem.length).toBeGreaterThan(5);
			expect(p.example).toBe(settings[p.variable as keyof typeof settings].doc.example);
			expect(p.example).not.toBe('');
		}
		expect(byVar.get('DATABASE_URL')!.problem).toMatch(/postgres/);
		expect(byVar.get('QUEUE_RETRY_LIMIT')!.problem).toMatch(/at least 0/);
		const message = new ConfigError(problems).message;
		for (const name of byVar.keys()) expect(message).toContain(`${name}:`);
		expect(message).toContain('example: PORT=8080');
	});

	it('never echoes the value of a secret setting in a problem', () => {
		const problems = problemsOf({ SESSION_SECRET: 'too-short-but-private', DATABASE_URL: 'http://u:hunter2@db/x' });
		const text = JSON.stringify(problems) + new ConfigError(problems).message;
		expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'SESSION_SECRET']);
		expect(text).not.toContain('too-short-but-private');
		expect(text).not.toContain('hunter2');
	});

	it('echoes the offending value of a non-secret setting', () => {
		const [p] = problemsOf({ PORT: '70000' });
		expect(p).toMatchObject({ variable: 'PORT', example: '8080' });
		expect(p.problem).toContain('"70000"');
	});

	it('NODE_ENV=production refuses to start without explicit secrets, naming each', () => {
		const names = problemsOf({ NODE_ENV: 'production' }).map((p) => p.variable);
		expect(names).toEqual(expect.arrayContaining(['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEYS', 'DATABASE_URL', 'OIDC_CLIENT_SECRET', 'SIGNER_KEY_PASSPHRASE']));
		const dataDir = tempDir();
		const full = parseConfig({
			NODE_ENV: 'production',
			DATA_DIR: dataDir,
			SESSION_SECRET: 's'.repeat(40),
			TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
			DATABASE_URL: 'postgres://app:pw@db.internal:5432/wipecert',
			ORIGIN: 'https://wipecert.example.com',
			OIDC_ISSUER: 'https://kc.example.com/realms/w',
			OIDC_CLIENT_SECRET: 'client-secret',
			SIGNER_KEY_PASSPHRASE: 'a-long-random-passphrase'
		});
		const resolved = resolveConfig(full);
		// Production never generates: nothing is written into DATA_DIR.
		expect(resolved.generated).toBeNull();
		expect(() => statSync(join(dataDir, 'secrets.json'))).toThrow();
		expect(resolved.sessionSecret).toBe('s'.repeat(40));
	});

	it('S3_ENDPOINT without keys names both missing keys', () => {
		const names = problemsOf({ S3_ENDPOINT: 'http://127.0.0.1:9000' }).map((p) => p.variable).sort();
		expect(names).toEqual(['S3_ACCESS_KEY', 'S3_SECRET_KEY']);
	});
});

describe('generated secrets (embedded mode)', () => {
	it('are generated once into DATA_DIR/secrets.json with mode 0600 and reused', () => {
		const dataDir = join(tempDir(), 'nested', 'data');
		const first = resolveConfig(parseConfig({ DATA_DIR: dataDir }));
		const file = join(dataDir, 'secrets.json');
		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32);
		expect(first.tokenEncryptionKeys).toMatch(/^k1:[A-Za-z0-9+/=]{44}$/);
		// The generated keys pass the same validation as configured ones.
		expect(() => parseConfig({ TOKEN_ENCRYPTION_KEYS: first.tokenEncryptionKeys, SESSION_SECRET: first.sessionSecret })).not.toThrow();
		const before = readFileSync(file, 'utf8');
		const second = resolveConfig(parseConfig({ DATA_DIR: dataDir }));
		expect(second.generated).toEqual(first.generated);
		expect(readFileSync(file, 'utf8')).toBe(before);
	});

	it('explicit settings win over generated ones', () => {
		const dataDir = tempDir();
		const resolved = resolveConfig(parseConfig({ DATA_DIR: dataDir, SESSION_SECRET: 'x'.repeat(32) }));
		expect(resolved.sessionSecret).toBe('x'.repeat(32));
		expect(resolved.generated!.sessionSecret).not.toBe('x'.repeat(32));
	});

	it('a damaged secrets file is an error, not silently replaced (that would orphan encrypted data)', () => {
		const dataDir = tempDir();
		writeFileSync(join(dataDir, 'secrets.json'), '{"sessionSecret":"short"}');
		expect(() => loadGeneratedSecrets(dataDir)).toThrow();
		expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).toBe('{"sessionSecret":"short"}');
	});
});

describe('URL settings that are not URLs', () => {
	it('are listed problems, not a TypeError out of the parser', () => {
		for (const name of ['DATABASE_URL', 'INGEST_DATABASE_URL', 'ORIGIN', 'S3_ENDPOINT', 'OIDC_ISSUER', 'SIGNER_URL', 'TSA_URL']) {
			const problems = problemsOf({ [name]: 'not-a-url' });
			const mine = problems.filter((p) => p.variable === name).map((p) => p.problem);
			expect(mine.length, name).toBeGreaterThan(0);
			expect(mine.every((p) => p.startsWith('must be a URL')), `${name}: ${mine.join('; ')}`).toBe(true);
		}
	});
});

describe('chain settings', () => {
	it('CHAIN=evm needs the RPC URL, chain id and contract; dev is refused in production; fee and depth rules', () => {
		const problems = (env: Record<string, string>) => {
			try {
				parseConfig(env);
				return [];
			} catch (error) {
				return (error as ConfigError).problems.map((p) => p.variable);
			}
		};
		expect(problems({ CHAIN: 'evm' })).toEqual(['CHAIN_RPC_URL', 'CHAIN_ID', 'CHAIN_CONTRACT']);
		expect(problems({ CHAIN: 'evm', CHAIN_RPC_URL: 'https://testnet.hashio.io/api', CHAIN_ID: '296', CHAIN_CONTRACT: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })).toEqual([]);
		expect(problems({ CHAIN: 'evm', CHAIN_RPC_URL: 'https://x', CHAIN_ID: '296', CHAIN_CONTRACT: '0x1234' })).toEqual(['CHAIN_CONTRACT']);
		expect(problems({ CHAIN: 'dev', NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), TOKEN_ENCRYPTION_KEYS: `k1:${'A'.repeat(43)}=`, DATABASE_URL: 'postgres://a@b/c', ORIGIN: 'https://w.example', OIDC_ISSUER: 'https://k.example/realms/w', OIDC_CLIENT_SECRET: 's', SIGNER_KEY_PASSPHRASE: 'p'.repeat(16) })).toEqual(['CHAIN']);
		expect(problems({ CHAIN_CONFIRMATIONS: '12', CHAIN_FINALITY_BLOCKS: '6' })).toEqual(['CHAIN_FINALITY_BLOCKS']);
		expect(problems({ CHAIN_MAX_FEE_PER_GAS: '10', CHAIN_MAX_PRIORITY_FEE_PER_GAS: '11' })).toEqual(['CHAIN_MAX_PRIORITY_FEE_PER_GAS']);
		expect(problems({ CHAIN_EXPLORER_TX_URL: 'https://hashscan.io/testnet/transaction/' })).toEqual(['CHAIN_EXPLORER_TX_URL']);
		expect(parseConfig({}).CHAIN).toBe('noop');
		expect(parseConfig({ CHAIN_MAX_FEE_PER_GAS: '2000000000000' }).CHAIN_MAX_FEE_PER_GAS).toBe(2_000_000_000_000n);
	});
});
