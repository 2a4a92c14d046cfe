import { settings, type Config, type SettingDoc, type SettingName } from './schema';

/**
 * The platform's business policy as this process runs it ("policy
 * settings"): business constants as settings, not
 * literals. Read-only by design — they change through the environment and take
 * effect at the next start (SIGNER_BATCH_SIZE is fixed for a process's life).
 *
 * Only settings listed here are shown; the list holds no secret and no URL, so
 * a credential in a connection string can never reach the console.
 */
export type PolicyGroup = 'retry' | 'signing' | 'limits' | 'retention' | 'rateLimits' | 'sessions' | 'agents' | 'maintenance';
export type PolicyUnit = 'seconds' | 'days' | 'bytes' | 'count' | 'rate' | 'cron';

export const POLICY_SETTINGS = [
	{ name: 'PROOF_RETRY_BASE_DELAY', group: 'retry', unit: 'seconds' },
	{ name: 'PROOF_RETRY_MAX_DELAY', group: 'retry', unit: 'seconds' },
	{ name: 'PROOF_RETRY_LIMIT', group: 'retry', unit: 'count' },
	{ name: 'SIGNER_BATCH_SIZE', group: 'signing', unit: 'count' },
	{ name: 'SIGNER_KEYS', group: 'signing', unit: 'count' },
	{ name: 'PROOF_MAX_BYTES', group: 'limits', unit: 'bytes' },
	{ name: 'JSON_BODY_MAX_BYTES', group: 'limits', unit: 'bytes' },
	{ name: 'VERIFY_UPLOAD_MAX_BYTES', group: 'limits', unit: 'bytes' },
	{ name: 'BULK_MAX_BYTES', group: 'limits', unit: 'bytes' },
	{ name: 'BULK_CONCURRENCY', group: 'limits', unit: 'count' },
	{ name: 'IDEMPOTENCY_TTL', group: 'retention', unit: 'seconds' },
	{ name: 'EVENT_RETENTION_DAYS', group: 'retention', unit: 'days' },
	{ name: 'RATE_LIMIT_SIGNIN', group: 'rateLimits', unit: 'rate' },
	{ name: 'RATE_LIMIT_TOKEN', group: 'rateLimits', unit: 'rate' },
	{ name: 'RATE_LIMIT_INGEST', group: 'rateLimits', unit: 'rate' },
	{ name: 'RATE_LIMIT_VERIFY', group: 'rateLimits', unit: 'rate' },
	{ name: 'RATE_LIMIT_DEFAULT', group: 'rateLimits', unit: 'rate' },
	{ name: 'SESSION_IDLE_TIMEOUT', group: 'sessions', unit: 'seconds' },
	{ name: 'SESSION_ABSOLUTE_TIMEOUT', group: 'sessions', unit: 'seconds' },
	{ name: 'ENROLMENT_TOKEN_TTL', group: 'agents', unit: 'seconds' },
	{ name: 'SIGNER_AGENT_CERT_DAYS', group: 'agents', unit: 'days' },
	{ name: 'MAINTENANCE_CRON', group: 'maintenance', unit: 'cron' },
	{ name: 'REPORTS_CRON', group: 'maintenance', unit: 'cron' }
] as const satisfies readonly { name: SettingName; group: PolicyGroup; unit: PolicyUnit }[];

export type PolicyName = (typeof POLICY_SETTINGS)[number]['name'];

export type PolicySetting = {
	name: PolicyName;
	group: PolicyGroup;
	unit: PolicyUnit;
	/** the effective value, written as the environment would spell it (`20/60`, `off`, `1048576`) */
	value: string;
	/** the default, as in `.env.example` */
	default: string;
	/** `environment` when the variable is set (even to its default value), else `default` */
	source: 'environment' | 'default';
};

/** A parsed value back in the environment's spelling (rate limits parse to `{ limit, windowSeconds }` or null). */
function spell(value: Config[PolicyName]): string {
	if (value === null) return 'off';
	if (typeof value === 'object') return `${value.limit}/${value.windowSeconds}`;
	return String(value);
}

/**
 * The effective policy of `config` (parsed from `env`). `env` tells whether a
 * variable was set: parseConfig treats a missing variable as its default, and
 * the console should say which values an operator chose.
 */
export function effectivePolicy(config: Config, env: Record<string, string | undefined> = process.env): PolicySetting[] {
	return POLICY_SETTINGS.map(({ name, group, unit }) => {
		const doc: SettingDoc = settings[name].doc;
		return {
			name,
			group,
			unit,
			value: spell(config[name]),
			default: doc.default,
			source: env[name] !== undefined && env[name] !== '' ? 'environment' : 'default'
		};
	});
}
