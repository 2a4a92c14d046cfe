import { describe, expect, it } from 'vitest';
import { effectivePolicy, parseConfig, POLICY_SETTINGS, settings, type SettingName } from './index';
import type { SettingDoc } from './schema';

const byName = (env: Record<string, string>) => new Map(effectivePolicy(parseConfig(env), env).map((s) => [s.name, s]));

describe('effectivePolicy (policy settings)', () => {
	it('an empty environment: every value is its documented default, from the default', () => {
		const policy = byName({});
		expect(policy.size).toBe(POLICY_SETTINGS.length);
		for (const s of policy.values()) {
			expect(s.source, s.name).toBe('default');
			expect(s.value, s.name).toBe(settings[s.name].doc.default);
		}
		expect(policy.get('SIGNER_BATCH_SIZE')!.value).toBe('50');
		expect(policy.get('RATE_LIMIT_SIGNIN')!.value).toBe('20/60');
	});

	it('a variable set in the environment is the effective value and says so; the rest stay default', () => {
		const policy = byName({ PROOF_RETRY_LIMIT: '7', RATE_LIMIT_INGEST: 'off', RATE_LIMIT_VERIFY: '60/30', MAINTENANCE_CRON: '0 * * * *', EVENT_RETENTION_DAYS: '7' });
		expect(policy.get('PROOF_RETRY_LIMIT')).toMatchObject({ value: '7', default: '20', source: 'environment', group: 'retry' });
		expect(policy.get('RATE_LIMIT_INGEST')).toMatchObject({ value: 'off', default: '6000/60', source: 'environment' });
		expect(policy.get('RATE_LIMIT_VERIFY')).toMatchObject({ value: '60/30', source: 'environment' });
		expect(policy.get('MAINTENANCE_CRON')).toMatchObject({ value: '0 * * * *', source: 'environment' });
		// set to the default value is still an operator's choice
		expect(policy.get('EVENT_RETENTION_DAYS')).toMatchObject({ value: '7', default: '7', source: 'environment' });
		expect(policy.get('PROOF_RETRY_BASE_DELAY')).toMatchObject({ value: '30', source: 'default' });
	});

	it('an empty variable counts as unset (parseConfig treats it so for optional settings)', () => {
		expect(effectivePolicy(parseConfig({}), { SIGNER_BATCH_SIZE: '' }).find((s) => s.name === 'SIGNER_BATCH_SIZE')!.source).toBe('default');
	});

	it('lists no secret and no URL setting, even when they are set', () => {
		const env = {
			DATABASE_URL: 'postgres://wipecert:hunter2hunter2@db.internal:5432/wipecert',
			SMTP_URL: 'smtps://user:pass@smtp.example.com:465',
			SESSION_SECRET: 'x'.repeat(40),
			S3_ENDPOINT: 'https://minio.internal:9000',
			S3_ACCESS_KEY: 'ak',
			S3_SECRET_KEY: 'sk'
		};
		const policy = effectivePolicy(parseConfig(env), env);
		for (const s of policy) {
			const doc: SettingDoc = settings[s.name as SettingName].doc;
			expect(doc.secret, s.name).toBeUndefined();
			expect(s.name, s.name).not.toMatch(/_URL$|SECRET|PASSPHRASE|_KEY$|ENDPOINT|ISSUER|ORIGIN/);
		}
		const text = JSON.stringify(policy);
		for (const value of Object.values(env)) expect(text).not.toContain(value);
	});
});
