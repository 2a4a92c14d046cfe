import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { configSchema, settings, type Config, type SettingDoc, type SettingName } from './schema';

export { settings, type Config, type SettingName } from './schema';
export { effectivePolicy, POLICY_SETTINGS, type PolicySetting, type PolicyName, type PolicyGroup, type PolicyUnit } from './policy';

export class ConfigError extends Error {
	constructor(readonly problems: { variable: string; problem: string; example: string }[]) {
		super(
			'WipeCert cannot start: the settings have problems.\n' +
				problems.map((p) => `  ${p.variable}: ${p.problem} (example: ${p.variable}=${p.example})`).join('\n')
		);
		this.name = 'ConfigError';
	}
}

/** Parses the environment; throws one ConfigError listing every problem. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
	const input = Object.fromEntries(Object.keys(settings).map((k) => [k, env[k]]));
	const result = configSchema.safeParse(input);
	if (!result.success) {
		throw new ConfigError(
			result.error.issues.map((issue) => {
				const variable = String(issue.path[0] ?? '?') as SettingName;
				return {
					variable,
					problem: `${issue.message}${env[variable] !== undefined && !(settings[variable]?.doc as SettingDoc | undefined)?.secret ? ` (got "${env[variable]}")` : ''}`,
					example: settings[variable]?.doc.example ?? ''
				};
			})
		);
	}
	const config = result.data;
	const problems: ConfigError['problems'] = [];
	if (config.NODE_ENV === 'production') {
		// Generated secrets are a laptop convenience; production must set them.
		for (const name of ['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEYS', 'DATABASE_URL', 'ORIGIN', 'OIDC_ISSUER', 'OIDC_CLIENT_SECRET'] as const) {
			if (!config[name]) problems.push({ variable: name, problem: 'must be set when NODE_ENV=production', example: settings[name].doc.example });
		}
	}
	if (config.NODE_ENV === 'production' && !config.SIGNER_URL && !config.SIGNER_KEY_PASSPHRASE) {
		// Issue 5 §7: the keyring is encrypted at rest. A process that holds it (the web server or
		// worker with the in-process signer, or the signer service itself) needs the passphrase.
		problems.push({
			variable: 'SIGNER_KEY_PASSPHRASE',
			problem: 'must be set when NODE_ENV=production and the keyring is in-process (SIGNER_URL unset)',
			example: settings.SIGNER_KEY_PASSPHRASE.doc.example
		});
	}
	if (config.S3_ENDPOINT && (!config.S3_ACCESS_KEY || !config.S3_SECRET_KEY)) {
		for (const name of ['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
			if (!config[name]) problems.push({ variable: name, problem: 'must be set when S3_ENDPOINT is set', example: settings[name].doc.example });
		}
	}
	if (config.SIGNER_URL) {
		// mutual TLS is the remote signer's only authentication (operations/signer.md)
		for (const name of ['SIGNER_TLS_CERT', 'SIGNER_TLS_KEY', 'SIGNER_TLS_CA'] as const) {
			if (!config[name]) problems.push({ variable: name, problem: 'must be set when SIGNER_URL is set', example: settings[name].doc.example });
		}
	}
	if (config.CHAIN === 'evm') {
		for (const name of ['CHAIN_RPC_URL', 'CHAIN_ID', 'CHAIN_CONTRACT'] as const) {
			if (config[name] === undefined) problems.push({ variable: name, problem: 'must be set when CHAIN=evm', example: settings[name].doc.example });
		}
	}
	if (config.CHAIN === 'dev' && config.NODE_ENV === 'production') {
		problems.push({ variable: 'CHAIN', problem: 'dev (the embedded node) is not for production: use evm', example: 'evm' });
	}
	if (config.CHAIN_FINALITY_BLOCKS < config.CHAIN_CONFIRMATIONS) {
		problems.push({ variable: 'CHAIN_FINALITY_BLOCKS', problem: `must be at least CHAIN_CONFIRMATIONS (${config.CHAIN_CONFIRMATIONS})`, example: String(config.CHAIN_CONFIRMATIONS) });
	}
	if (config.CHAIN_MAX_PRIORITY_FEE_PER_GAS > config.CHAIN_MAX_FEE_PER_GAS) {
		problems.push({ variable: 'CHAIN_MAX_PRIORITY_FEE_PER_GAS', problem: 'must not exceed CHAIN_MAX_FEE_PER_GAS', example: settings.CHAIN_MAX_PRIORITY_FEE_PER_GAS.doc.example });
	}
	if (problems.length) throw new ConfigError(problems);
	return config;
}

const secretsFile = z.object({
	sessionSecret: z.string().min(32),
	tokenEncryptionKeys: z.string().min(1),
	oidcClientSecret: z.string().min(16),
	postgresPassword: z.string().min(16),
	ingestPassword: z.string().min(16)
});
export type GeneratedSecrets = z.infer<typeof secretsFile>;

/**
 * Secrets the embedded mode needs, generated once into DATA_DIR/secrets.json
 * (mode 0600) and reused on every later start.
 */
export function loadGeneratedSecrets(dataDir: string): GeneratedSecrets {
	const dir = resolve(dataDir);
	const file = join(dir, 'secrets.json');
	if (existsSync(file)) return secretsFile.parse(JSON.parse(readFileSync(file, 'utf8')));
	mkdirSync(dir, { recursive: true });
	const secrets: GeneratedSecrets = {
		sessionSecret: randomBytes(32).toString('base64url'),
		tokenEncryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
		oidcClientSecret: randomBytes(24).toString('base64url'),
		postgresPassword: randomBytes(24).toString('base64url'),
		ingestPassword: randomBytes(24).toString('base64url')
	};
	writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
	chmodSync(file, 0o600);
	return secrets;
}

export type ResolvedConfig = Config & {
	origin: string;
	dataDir: string;
	sessionSecret: string;
	tokenEncryptionKeys: string;
	oidcClientSecret: string;
	generated: GeneratedSecrets | null;
};

/** Config with every secret filled in: from the environment, or generated outside production. */
export function resolveConfig(config: Config): ResolvedConfig {
	const dataDir = resolve(config.DATA_DIR);
	const generated = config.NODE_ENV === 'production' ? null : loadGeneratedSecrets(dataDir);
	return {
		...config,
		dataDir,
		origin: (config.ORIGIN ?? `http://localhost:${config.PORT}`).replace(/\/$/, ''),
		sessionSecret: config.SESSION_SECRET ?? generated!.sessionSecret,
		tokenEncryptionKeys: config.TOKEN_ENCRYPTION_KEYS ?? generated!.tokenEncryptionKeys,
		oidcClientSecret: config.OIDC_CLIENT_SECRET ?? generated!.oidcClientSecret,
		generated
	};
}

let cached: ResolvedConfig | undefined;

/** The process's settings, parsed once. Entries call this first. */
export function getConfig(): ResolvedConfig {
	cached ??= resolveConfig(parseConfig());
	return cached;
}

/** For entries: parse the settings or print every problem and exit 1. */
export function loadConfigOrExit(): ResolvedConfig {
	try {
		return getConfig();
	} catch (error) {
		if (error instanceof ConfigError) {
			process.stderr.write(error.message + '\n');
			process.exit(1);
		}
		throw error;
	}
}
