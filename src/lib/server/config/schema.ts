import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Every setting WipeCert reads, with its default, an example and a description.
 * `.env.example` and the handbook's configuration page are checked against this
 * list by `config.spec.ts`, so the three cannot drift apart.
 */
export type SettingDoc = {
	/** default as written in `.env.example`; '' means unset */
	default: string;
	example: string;
	description: string;
	secret?: boolean;
	/**
	 * the worker kind that acts on this setting when nothing else does: while the
	 * build does not ship that kind, the description (and so `.env.example` and the
	 * handbook) must say "planned" (scripts/deploy/docs-truth.ts)
	 */
	requires?: 'proof' | 'anchor' | 'notifications' | 'reports' | 'retry' | 'maintenance';
};

const bool = z
	.enum(['true', 'false', '1', '0', 'yes', 'no'])
	.transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
	z.coerce
		.number()
		.int('must be a whole number')
		.min(min, `must be at least ${min}`)
		.max(max, `must be at most ${max}`);

// zod runs a refinement even after z.url() failed: `new URL('not-a-url')` threw out of the
// parser and start-up ended in a stack trace instead of the list of problems.
const url = (protocols: string[]) =>
	z.url(`must be a URL`).refine((v) => !URL.canParse(v) || protocols.includes(new URL(v).protocol.replace(':', '')), {
		message: `must use ${protocols.join(' or ')}`
	});

const cron = (fallback: string) =>
	z
		.string()
		.regex(/^\S+( \S+){4}$/, 'must be a five-field cron expression (minute hour day month weekday, UTC)')
		.default(fallback);

const optional = <T extends z.ZodType>(schema: T) =>
	z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * A rate limit as `LIMIT/SECONDS` (at most LIMIT requests per fixed window of
 * SECONDS per client address), or `off`. Parsed to `{ limit, windowSeconds }`
 * or null (off).
 */
const rateLimit = (fallback: string) =>
	z
		.string()
		.regex(/^(off|[1-9]\d{0,6}\/[1-9]\d{0,5})$/, 'must be LIMIT/SECONDS (e.g. 20/60) or off')
		.default(fallback)
		.transform((v) => {
			if (v === 'off') return null;
			const [limit, windowSeconds] = v.split('/').map(Number);
			return { limit, windowSeconds };
		});

export const settings = {
	NODE_ENV: {
		schema: z.enum(['development', 'production', 'test']).default('development'),
		doc: {
			default: 'development',
			example: 'production',
			description:
				'`production` refuses generated secrets and the dev identity provider, and sets Secure cookies and HSTS.'
		}
	},
	PORT: {
		schema: int(0, 65535).default(3000),
		doc: { default: '3000', example: '8080', description: 'HTTP port of the web server.' }
	},
	HOST: {
		schema: z.string().min(1).default('127.0.0.1'),
		doc: {
			default: '127.0.0.1',
			example: '0.0.0.0',
			description: 'Interface the web server listens on.'
		}
	},
	ORIGIN: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'https://wipecert.example.com',
			description:
				'Public origin of the app (used for redirects, QR codes and the origin check). Unset: http://localhost:PORT.'
		}
	},
	DATA_DIR: {
		schema: z.string().min(1).default('.data'),
		doc: {
			default: '.data',
			example: '/var/lib/wipecert',
			description:
				'Directory for the embedded database, objects, keys and generated secrets.'
		}
	},
	DATABASE_URL: {
		schema: optional(url(['postgres', 'postgresql'])),
		doc: {
			default: '',
			example: 'postgres://wipecert:secret@db.internal:5432/wipecert',
			description:
				'PostgreSQL connection of the app role. Unset: an embedded PostgreSQL under DATA_DIR/pg on a free port.',
			secret: true
		}
	},
	INGEST_DATABASE_URL: {
		schema: optional(url(['postgres', 'postgresql'])),
		doc: {
			default: '',
			example: 'postgres://wipecert_ingest:secret@db.internal:5432/wipecert',
			description:
				'Connection of the least-privilege `wipecert_ingest` role used by the `ingest` entry. Unset in embedded mode: generated.',
			secret: true
		}
	},
	DATABASE_POOL_SIZE: {
		schema: int(1, 200).default(10),
		doc: { default: '10', example: '20', description: 'Connections in each database pool of a process: the app role’s, and the ingest role’s that `/ingest/v1` uses.' }
	},
	WORKERS: {
		schema: z.enum(['embedded', 'none']).default('embedded'),
		doc: {
			default: 'embedded',
			example: 'none',
			description:
				'`embedded` runs every worker kind inside the web process; `none` runs none (use `npm run worker -- KIND`).'
		}
	},
	WORKER_KIND: {
		schema: optional(z.enum(['proof', 'anchor', 'notifications', 'reports', 'retry', 'maintenance'])),
		doc: {
			default: '',
			example: 'proof',
			description: 'Worker kind for `node build/worker.js` when no argument is given.'
		}
	},
	WORKER_ONCE: {
		schema: bool.default(false),
		doc: {
			default: 'false',
			example: 'true',
			description: 'A worker process runs one claim pass and exits 0.'
		}
	},
	WORKER_CONCURRENCY: {
		schema: int(1, 64).default(2),
		doc: { default: '2', example: '4', description: 'Jobs a worker process handles at once per queue.' }
	},
	WORKER_SEMI_SPACE_MB: {
		schema: int(0, 1024).default(16),
		doc: {
			default: '16',
			example: '32',
			description:
				"V8 semi-space (MB) of a `node build/worker.js` process (it re-executes itself with `--max-semi-space-size`); V8 otherwise sizes it from the host's memory (64 MB on 24 GB, ~130 MB young generation resident per worker). 0 keeps V8's choice."
		}
	},
	WORKER_MAX_OLD_SPACE_MB: {
		schema: int(0, 65536).default(160),
		doc: {
			default: '160',
			example: '512',
			description:
				"V8 old-space limit (MB) of a `node build/worker.js` process (`--max-old-space-size`): V8 collects before growing the heap towards it. The proof worker keeps 35-75 MB live (benchmark); without a limit V8 let its heap grow to ~190 MB and RSS to ~390 MB. Raise it with SIGNER_BATCH_SIZE or WORKER_CONCURRENCY; 0 keeps V8's default (a fraction of the host's memory)."
		}
	},
	WORKER_METRICS_PORT: {
		schema: int(0, 65535).default(0),
		doc: {
			default: '0',
			example: '9464',
			description:
				'Port on HOST where a `node build/worker.js` process serves `/metrics` (its job durations and outcomes, process metrics) and `/healthz`. 0: none (the web server’s `/metrics` has the platform-wide gauges either way).'
		}
	},
	SHUTDOWN_TIMEOUT: {
		schema: int(1, 3600).default(30),
		doc: {
			default: '30',
			example: '60',
			description:
				'Seconds a graceful shutdown may take (HTTP drain, then workers); after that, open connections are closed and unfinished jobs are left for retry.'
		}
	},
	LOG_LEVEL: {
		schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
		doc: { default: 'info', example: 'debug', description: 'pino log level.' }
	},
	QUEUE_RETRY_LIMIT: {
		schema: int(0, 100).default(5),
		doc: { default: '5', example: '10', description: 'Attempts after the first before a job goes to its dead-letter queue.' }
	},
	QUEUE_RETRY_DELAY: {
		schema: int(1, 86400).default(10),
		doc: { default: '10', example: '30', description: 'Seconds before the first retry of a failed job.' }
	},
	QUEUE_RETRY_BACKOFF: {
		schema: bool.default(true),
		doc: { default: 'true', example: 'false', description: 'Exponential backoff between retries.' }
	},
	QUEUE_JOB_TIMEOUT: {
		schema: int(5, 86400).default(900),
		doc: {
			default: '900',
			example: '300',
			description: 'Seconds a claimed job may run before it is taken back and retried (covers crashed workers).'
		}
	},
	S3_ENDPOINT: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'https://minio.internal:9000',
			description: 'S3/MinIO endpoint. Unset: the filesystem store under DATA_DIR/objects.'
		}
	},
	S3_BUCKET: {
		schema: z.string().min(3).default('wipecert'),
		doc: { default: 'wipecert', example: 'wipecert-prod', description: 'Bucket for proofs and certificates.' }
	},
	S3_REGION: {
		schema: z.string().min(1).default('us-east-1'),
		doc: { default: 'us-east-1', example: 'eu-central-1', description: 'S3 region.' }
	},
	S3_ACCESS_KEY: {
		schema: optional(z.string().min(1)),
		doc: { default: '', example: 'wipecert', description: 'S3 access key.', secret: true }
	},
	S3_SECRET_KEY: {
		schema: optional(z.string().min(1)),
		doc: { default: '', example: 'change-me', description: 'S3 secret key.', secret: true }
	},
	OIDC_ISSUER: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'https://keycloak.example.com/realms/wipecert',
			description: 'OIDC issuer (a Keycloak realm). Unset outside production: the built-in dev realm at ORIGIN/realms/dev.'
		}
	},
	OIDC_CLIENT_ID: {
		schema: z.string().min(1).default('wipecert-web'),
		doc: { default: 'wipecert-web', example: 'wipecert-web', description: 'OIDC client of the web app.' }
	},
	OIDC_CLIENT_SECRET: {
		schema: optional(z.string().min(1)),
		doc: { default: '', example: 'change-me', description: 'OIDC client secret (generated in dev mode).', secret: true }
	},
	OIDC_API_AUDIENCE: {
		schema: z.string().min(1).default('wipecert-api'),
		doc: {
			default: 'wipecert-api',
			example: 'wipecert-api',
			description:
				'Audience (`aud`) a service account\'s bearer JWT must carry (Keycloak: an audience mapper on the service client).'
		}
	},
	OIDC_SCOPES: {
		schema: z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scope names').default('openid profile email'),
		doc: {
			default: 'openid profile email',
			example: 'openid profile email',
			description: 'Scopes the web app asks for at sign-in (`openid` is always added).'
		}
	},
	OIDC_TENANT_CLAIM: {
		schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a claim name').default('groups'),
		doc: {
			default: 'groups',
			example: 'groups',
			description:
				'ID-token claim listing group paths `/tenants/<tenant>/<role>` (Keycloak group membership mapper, full path); memberships follow it at every sign-in.'
		}
	},
	ADMIN_BOOTSTRAP_EMAILS: {
		schema: z
			.string()
			.regex(/^$|^[^\s,@]+@[^\s,@]+(,[^\s,@]+@[^\s,@]+)*$/, 'must be a comma-separated list of e-mail addresses')
			.default(''),
		doc: {
			default: '',
			example: 'alice@example.com,bob@example.com',
			description:
				'People who become platform admins when they sign in with this verified e-mail address (the first admins of a new instance).'
		}
	},
	SESSION_IDLE_TIMEOUT: {
		schema: int(60, 7 * 24 * 3600).default(1800),
		doc: { default: '1800', example: '900', description: 'Seconds without a request after which a session ends.' }
	},
	SESSION_ABSOLUTE_TIMEOUT: {
		schema: int(300, 90 * 24 * 3600).default(43200),
		doc: {
			default: '43200',
			example: '28800',
			description: 'Seconds after sign-in after which a session ends however active it is.'
		}
	},
	SESSION_SECRET: {
		schema: optional(z.string().min(32, 'must be at least 32 characters')),
		doc: {
			default: '',
			example: 'a-random-string-of-at-least-32-characters',
			description: 'Key for short-lived signed cookies. Generated into DATA_DIR outside production.',
			secret: true
		}
	},
	TOKEN_ENCRYPTION_KEYS: {
		schema: optional(
			z
				.string()
				.regex(
					/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44}(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/=]{43,44})*$/,
					'must be a comma-separated list of keyid:base64(32 bytes); the first encrypts'
				)
		),
		doc: {
			default: '',
			example: 'k2:ZGV2LWtleS0wMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=,k1:…',
			description:
				'AES-256-GCM keys for stored OIDC tokens, newest first. Generated into DATA_DIR outside production.',
			secret: true
		}
	},
	SIGNER_URL: {
		schema: optional(url(['https'])),
		doc: {
			default: '',
			example: 'https://signer.internal:8443',
			description: 'Remote signer (mTLS). Unset: the in-process keyring under DATA_DIR/keys.'
		}
	},
	SIGNER_KEYS: {
		schema: int(1, 10000).default(100),
		doc: { default: '100', example: '10', description: 'Keys in the in-process keyring.' }
	},
	SIGNER_BATCH_SIZE: {
		schema: int(1, 10000).default(50),
		doc: {
			default: '50',
			example: '100',
			description: 'Records signed by one key per batch; fixed for the life of a process.'
		}
	},
	SIGNER_TLS_CERT: {
		schema: optional(z.string().min(1)),
		doc: {
			default: '',
			example: '/etc/wipecert/tls/signer-client.crt',
			description:
				'Remote signer mTLS: certificate (PEM file, or the PEM itself). On the app: its client certificate; on the `signer` service: its server certificate.'
		}
	},
	SIGNER_TLS_KEY: {
		schema: optional(z.string().min(1)),
		doc: {
			default: '',
			example: '/etc/wipecert/tls/signer-client.key',
			description: 'Remote signer mTLS: private key (PEM file, or the PEM itself) of SIGNER_TLS_CERT.',
			secret: true
		}
	},
	SIGNER_TLS_CA: {
		schema: optional(z.string().min(1)),
		doc: {
			default: '',
			example: '/etc/wipecert/tls/signer-ca.crt',
			description:
				'Remote signer mTLS: CA (PEM file, or the PEM itself). On the app: the CA of the signer\'s server certificate; on the `signer` service: the only CA whose client certificates it accepts.'
		}
	},
	SIGNER_HOST: {
		schema: z.string().min(1).default('127.0.0.1'),
		doc: { default: '127.0.0.1', example: '0.0.0.0', description: 'Interface the `signer` service listens on.' }
	},
	SIGNER_PORT: {
		schema: int(0, 65535).default(8443),
		doc: { default: '8443', example: '9443', description: 'Port of the `signer` service.' }
	},
	SIGNER_TIMEOUT: {
		schema: int(1, 600).default(10),
		doc: {
			default: '10',
			example: '30',
			description: 'Seconds the app waits for the remote signer before the call counts as unavailable (proof FAILED_RETRYABLE).'
		}
	},
	SIGNER_KEY_PASSPHRASE: {
		schema: optional(z.string().min(16, 'must be at least 16 characters')),
		doc: {
			default: '',
			example: 'a-long-random-passphrase',
			description:
				'Encrypts the keyring\'s private keys at rest in DATA_DIR/keys (PKCS#8 PBES2; the HMAC key AES-256-GCM). Set it before the first start. Required with NODE_ENV=production when the keyring is in-process (SIGNER_URL unset, and in the signer service); unset in development: files of mode 0600.',
			secret: true
		}
	},
	SIGNER_AGENT_CERT_DAYS: {
		schema: int(1, 3650).default(730),
		doc: { default: '730', example: '365', description: 'Days an agent certificate issued at enrolment is valid.' }
	},
	CHAIN: {
		schema: z.enum(['noop', 'dev', 'evm']).default('noop'),
		doc: {
			default: 'noop',
			example: 'dev',
			description:
				'`noop` ends certificates as CERTIFIED_NO_ANCHOR; `dev` anchors the log on an embedded EVM node (ganache, state under DATA_DIR/chain); `evm` anchors on the chain at CHAIN_RPC_URL (handbook: Anchoring).',
			requires: 'anchor'
		}
	},
	CHAIN_RPC_URL: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'https://testnet.hashio.io/api',
			description: 'JSON-RPC endpoint of the EVM chain (CHAIN=evm). Treated as a secret: providers put API keys in it.',
			secret: true
		}
	},
	CHAIN_ID: {
		schema: optional(int(1, 2 ** 48)),
		doc: { default: '', example: '296', description: 'Chain id the RPC endpoint must report (CHAIN=evm); transactions are signed for it (EIP-155).' }
	},
	CHAIN_CONTRACT: {
		schema: optional(z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address (0x…)')),
		doc: {
			default: '',
			example: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
			description: 'Address of the WipeCertAnchor contract (CHAIN=evm), as `npm run chain -- deploy` printed it.'
		}
	},
	CHAIN_CONFIRMATIONS: {
		schema: int(1, 10000).default(12),
		doc: {
			default: '12',
			example: '3',
			description: 'Blocks (the anchor’s own included) before an anchor counts and its certificates become CERTIFIED.'
		}
	},
	CHAIN_FINALITY_BLOCKS: {
		schema: int(1, 100000).default(64),
		doc: {
			default: '64',
			example: '32',
			description:
				'Depth until which the anchor worker keeps re-checking an anchor’s block hash for reorganisations; deeper anchors are final. At least CHAIN_CONFIRMATIONS.'
		}
	},
	CHAIN_GAS_LIMIT: {
		schema: int(21000, 30_000_000).default(200000),
		doc: {
			default: '200000',
			example: '120000',
			description: 'Most gas one anchor transaction may use (the node’s estimate plus 25 % is used, up to this).'
		}
	},
	CHAIN_MAX_FEE_PER_GAS: {
		schema: z.string().regex(/^[1-9]\d{0,29}$/, 'must be a whole number of wei').default('200000000000').transform((v) => BigInt(v)),
		doc: {
			default: '200000000000',
			example: '2000000000000',
			description:
				'Fee cap per gas in wei (weibar on Hedera): an anchor is not sent while the chain asks more; it waits and retries. Default 200 gwei.'
		}
	},
	CHAIN_MAX_PRIORITY_FEE_PER_GAS: {
		schema: z.string().regex(/^(0|[1-9]\d{0,29})$/, 'must be a whole number of wei').default('2000000000').transform((v) => BigInt(v)),
		doc: { default: '2000000000', example: '1000000000', description: 'Highest priority fee (tip) per gas in wei on EIP-1559 chains. Default 2 gwei.' }
	},
	CHAIN_POLL_INTERVAL: {
		schema: int(1, 3600).default(5),
		doc: { default: '5', example: '12', description: 'Seconds between the anchor worker’s looks at a sent anchor (receipt, confirmations, reorganisations).' }
	},
	CHAIN_TIMEOUT: {
		schema: int(1, 600).default(10),
		doc: { default: '10', example: '30', description: 'Seconds a JSON-RPC call may take before the chain counts as unavailable (the anchor job retries with backoff).' }
	},
	CHAIN_EXPLORER_TX_URL: {
		schema: optional(z.string().regex(/^https?:\/\/\S*\{txHash\}\S*$/, 'must be an http(s) URL containing {txHash}')),
		doc: {
			default: '',
			example: 'https://hashscan.io/testnet/transaction/{txHash}',
			description: 'Link to a block explorer for an anchor transaction, `{txHash}` replaced; shown on the verify page. Unset: no link.'
		}
	},
	CHAIN_DEV_BLOCK_TIME: {
		schema: int(1, 60).default(1),
		doc: { default: '1', example: '2', description: 'Seconds between blocks of the embedded node (CHAIN=dev).' }
	},
	ANCHOR_INTERVAL: {
		schema: int(1, 86400).default(60),
		doc: {
			default: '60',
			example: '600',
			description: 'Seconds between anchor transactions: certificates waiting for an anchor are coalesced into the newest log checkpoint once per interval.'
		}
	},
	ANCHOR_MAX_PENDING: {
		schema: int(1, 1_000_000).default(1000),
		doc: { default: '1000', example: '5000', description: 'Certificates waiting for an anchor that trigger a transaction before ANCHOR_INTERVAL is over.' }
	},
	TSA_URL: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'https://freetsa.org/tsr',
			description:
				'RFC 3161 timestamp authority: when set, certificate PDF signatures carry a signature timestamp (PAdES-B-T). Unset: PAdES-B-B.'
		}
	},
	LOG_ORIGIN: {
		schema: optional(z.string().regex(/^[^\s]+$/, 'must be one word, e.g. wipecert.example.com/log')),
		doc: {
			default: '',
			example: 'wipecert.example.com/log',
			description: 'Origin line of the transparency log checkpoints (C2SP tlog-checkpoint). Unset: `<host of ORIGIN>/log`. Never change it once the log has entries.'
		}
	},
	LOG_WITNESSES: {
		schema: z
			.string()
			.default('')
			.transform((v, ctx) => {
				const out: { vkey: string; url: string }[] = [];
				for (const item of v.split(',').map((x) => x.trim()).filter(Boolean)) {
					const [vkey, url, ...rest] = item.split(/\s+/);
					const key = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$/.exec(vkey ?? '');
					const raw = key ? Buffer.from(key[3], 'base64') : null;
					// signed-note key ID: SHA-256(name ‖ \n ‖ 0x04 ‖ public key)[:4]
					const id = key && raw ? createHash('sha256').update(`${key[1]}\n`).update(raw).digest().subarray(0, 4).toString('hex') : null;
					let okUrl = false;
					try {
						okUrl = ['http:', 'https:'].includes(new URL(url ?? '').protocol);
					} catch {
						okUrl = false;
					}
					if (!key || raw?.length !== 33 || raw[0] !== 0x04 || id !== key[2] || !okUrl || rest.length) {
						ctx.addIssue({ code: 'custom', message: `"${item.slice(0, 80)}" is not "<witness vkey (type 0x04)> <https URL>"` });
						continue;
					}
					out.push({ vkey, url });
				}
				return out;
			}),
		doc: {
			default: '',
			example: 'witness.example.org/w1+e331df71+BBCsgJsRukZbM9QvcyiYSi8575UE8PAjjFu6QWwILH/Q https://witness.example.org/',
			description:
				'Witnesses asked to cosign each new log checkpoint (C2SP tlog-witness add-checkpoint; Ed25519 cosignature/v1): comma-separated `<vkey> <URL>` pairs, the vkey of signature type 0x04 as the witness prints it. Their cosignatures are stored, served with the checkpoint and embedded in new certificates. `npm run witness` runs one locally. Unset: no witnesses.'
		}
	},
	SMTP_URL: {
		schema: optional(url(['smtp', 'smtps'])),
		doc: {
			default: '',
			example: 'smtps://user:pass@smtp.example.com:465',
			description:
				'SMTP relay the notifications worker sends mail through (user and password in the URL). Unset: an SMTP server inside the notifications worker on a loopback port catches every mail for the console\'s Mail sink page (refused with NODE_ENV=production).',
			secret: true,
			requires: 'notifications'
		}
	},
	SMTP_TLS: {
		schema: optional(z.enum(['none', 'starttls', 'tls'])),
		doc: {
			default: '',
			example: 'starttls',
			description:
				'TLS towards SMTP_URL: `tls` (implicit TLS from the first byte, port 465), `starttls` (plain connect, then STARTTLS is required), `none` (no TLS, never upgraded). Unset: `tls` for smtps://, `starttls` for smtp://.'
		}
	},
	SMTP_TLS_CA: {
		schema: optional(z.string().min(1)),
		doc: {
			default: '',
			example: '/etc/wipecert/tls/smtp-ca.crt',
			description: 'CA (PEM file, or the PEM itself) the SMTP relay\'s certificate must chain to, for a relay with a private CA. Unset: the system\'s trusted CAs.'
		}
	},
	SMTP_FROM: {
		schema: optional(z.email('must be an e-mail address')),
		doc: {
			default: '',
			example: 'notifications@wipecert.example.com',
			description:
				'Sender address of every mail; the display name is the tenant\'s sender name (Notifications page) or the tenant\'s name. Unset: notifications@<host of ORIGIN>.'
		}
	},
	NOTIFY_MAX_ATTEMPTS: {
		schema: int(1, 100).default(8),
		doc: {
			default: '8',
			example: '12',
			description: 'Attempts of one delivery (mail or webhook) before it is dead-lettered; a resend starts a new round of attempts.'
		}
	},
	NOTIFY_RETRY_BASE_DELAY: {
		schema: int(1, 86400).default(30),
		doc: {
			default: '30',
			example: '10',
			description: 'Seconds before the second attempt of a failed delivery; each later gap is four times the one before (±20 % jitter), up to NOTIFY_RETRY_MAX_DELAY.'
		}
	},
	NOTIFY_RETRY_MAX_DELAY: {
		schema: int(1, 7 * 86400).default(43200),
		doc: { default: '43200', example: '86400', description: 'Longest gap between two attempts of a delivery (seconds).' }
	},
	NOTIFY_CONCURRENCY: {
		schema: int(1, 256).default(8),
		doc: { default: '8', example: '32', description: 'Deliveries one notifications worker process sends at once.' }
	},
	NOTIFY_CONNECT_TIMEOUT: {
		schema: int(1, 120).default(5),
		doc: { default: '5', example: '10', description: 'Seconds to open the connection to a webhook endpoint or the SMTP relay before the attempt fails.' }
	},
	NOTIFY_SEND_TIMEOUT: {
		schema: int(1, 600).default(15),
		doc: {
			default: '15',
			example: '30',
			description:
				'Seconds one attempt may take in total (webhook: connect, request and response; mail: the SMTP session). A worker that dies mid-attempt leaves the delivery to others NOTIFY_SEND_TIMEOUT + 5 seconds after it started.'
		}
	},
	NOTIFY_DIGEST_HOUR: {
		schema: int(0, 23).default(7),
		doc: { default: '7', example: '6', description: 'Hour (UTC) the daily digest of issued certificates is mailed to tenants that chose daily digests.' }
	},
	NOTIFY_RETENTION_DAYS: {
		schema: int(1, 3650).default(30),
		doc: {
			default: '30',
			example: '90',
			description: 'Days sent and skipped deliveries (with their attempts and payloads) are kept; dead-lettered and waiting ones are kept until sent or resent.'
		}
	},
	WEBHOOK_ALLOWED_HOSTS: {
		schema: z
			.string()
			.regex(/^$|^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(,(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5})*$/, 'must be a comma-separated list of host:port')
			.default(''),
		doc: {
			default: '',
			example: 'receiver.internal:8443,127.0.0.1:9000',
			description:
				'Exact host:port pairs webhooks may reach although their address is private, loopback or otherwise refused (tests, air-gapped installs). Empty: only public addresses.'
		}
	},
	WEBHOOK_RESPONSE_MAX_BYTES: {
		schema: int(0, 16 * 1024 * 1024).default(65536),
		doc: { default: '65536', example: '8192', description: 'Bytes of a webhook response read before the connection is closed (the status decides; the first KiB is kept for the delivery log).' }
	},
	WEBHOOK_SECRET_OVERLAP: {
		schema: int(0, 30 * 86400).default(86400),
		doc: {
			default: '86400',
			example: '604800',
			description: 'Seconds a rotated webhook secret still signs (a second `v1,` signature next to the new one), so receivers can switch without losing messages.'
		}
	},
	MAIL_SINK_KEEP: {
		schema: int(10, 1_000_000).default(1000),
		doc: { default: '1000', example: '200', description: 'Messages the local mail sink keeps (SMTP_URL unset); older ones are dropped as new ones arrive.' }
	},
	OTEL_EXPORTER_OTLP_ENDPOINT: {
		schema: optional(url(['http', 'https'])),
		doc: {
			default: '',
			example: 'http://otel-collector:4318',
			description: 'OpenTelemetry OTLP/HTTP endpoint; traces are exported when set.'
		}
	},
	PROOF_MAX_BYTES: {
		schema: int(1024, 512 * 1024 * 1024).default(1024 * 1024),
		doc: { default: '1048576', example: '2097152', description: 'Largest accepted proof (413 above).' }
	},
	JSON_BODY_MAX_BYTES: {
		schema: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
		doc: { default: '1048576', example: '262144', description: 'Largest JSON request body (413 above).' }
	},
	VERIFY_UPLOAD_MAX_BYTES: {
		schema: int(1024, 256 * 1024 * 1024).default(20 * 1024 * 1024),
		doc: { default: '20971520', example: '10485760', description: 'Largest certificate PDF the public verify page and API accept for checking (413 above).' }
	},
	BULK_MAX_BYTES: {
		schema: int(1024, 64 * 1024 * 1024 * 1024).default(2 * 1024 * 1024 * 1024),
		doc: {
			default: '2147483648',
			example: '536870912',
			description: 'Largest bulk upload (multipart or zip), streamed with bounded memory.'
		}
	},
	BODY_SIZE_LIMIT: {
		schema: optional(z.string().regex(/^(\d+[KMG]?|Infinity)$/, 'must be bytes, with K, M or G, or Infinity')),
		doc: {
			default: '',
			example: '4G',
			description:
				'Outer request-body cap read by adapter-node. Unset: BULK_MAX_BYTES, the largest route limit. Below it every route refuses a larger body before reading it (413 in the error envelope): PROOF_MAX_BYTES for proofs, BULK_MAX_BYTES for bulk uploads, VERIFY_UPLOAD_MAX_BYTES for PDF verification, 256 KiB for the logo, 16 KiB for the dev realm\'s forms, JSON_BODY_MAX_BYTES for every other body.'
		}
	},
	PROTOCOL_HEADER: {
		schema: optional(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name')),
		doc: {
			default: '',
			example: 'x-forwarded-proto',
			description:
				'Header a TLS-terminating proxy sets to the original protocol, used for the request URL when ORIGIN is unset (adapter-node). Unset: the protocol of the socket (http). ORIGIN wins when set.'
		}
	},
	HOST_HEADER: {
		schema: optional(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name')),
		doc: {
			default: '',
			example: 'x-forwarded-host',
			description: 'Header a proxy sets to the original Host, used for the request URL when ORIGIN is unset (adapter-node). Unset: Host.'
		}
	},
	TRUSTED_PROXY_HOPS: {
		schema: int(0, 10).default(0),
		doc: {
			default: '0',
			example: '1',
			description:
				'Reverse proxies in front of the app that append to X-Forwarded-For. 0: the header is ignored and the socket address is the client (rate limits, audit source IP); N: the Nth address from the right is the client. Never set it higher than the proxies you run, or clients can choose their own address.'
		}
	},
	RATE_LIMIT_SIGNIN: {
		schema: rateLimit('20/60'),
		doc: {
			default: '20/60',
			example: '10/60',
			description: 'Sign-in attempts per client address: LIMIT/SECONDS (fixed window) or `off`. Above it: 429 with Retry-After.'
		}
	},
	RATE_LIMIT_TOKEN: {
		schema: rateLimit('60/60'),
		doc: { default: '60/60', example: '120/60', description: 'Token-endpoint requests per client address: LIMIT/SECONDS or `off`.' }
	},
	RATE_LIMIT_INGEST: {
		schema: rateLimit('6000/60'),
		doc: {
			default: '6000/60',
			example: 'off',
			description: 'Agent and API proof submissions per client address (a site of agents behind one NAT shares it): LIMIT/SECONDS or `off`.'
		}
	},
	RATE_LIMIT_VERIFY: {
		schema: rateLimit('120/60'),
		doc: { default: '120/60', example: '60/60', description: 'Public certificate verifications per client address: LIMIT/SECONDS or `off`.' }
	},
	RATE_LIMIT_DEFAULT: {
		schema: rateLimit('300/60'),
		doc: { default: '300/60', example: '600/60', description: 'Limit of any other rate-limited bucket: LIMIT/SECONDS or `off`.' }
	},
	IDEMPOTENCY_TTL: {
		schema: int(60, 30 * 24 * 3600).default(86400),
		doc: {
			default: '86400',
			example: '172800',
			description: 'Seconds an Idempotency-Key and its stored answer are kept; a retry within it gets the same answer.'
		}
	},
	IDEMPOTENCY_WAIT_TIMEOUT: {
		schema: int(1, 600).default(10),
		doc: {
			default: '10',
			example: '30',
			description:
				'Seconds a request waits for an in-flight request with the same Idempotency-Key before answering 409 conflict (retry later).'
		}
	},
	ENROLMENT_TOKEN_TTL: {
		schema: int(60, 30 * 24 * 3600).default(86400),
		doc: {
			default: '86400',
			example: '3600',
			description: 'Seconds an agent enrolment token stays usable (it is single-use either way).'
		}
	},
	AGENT_SIGNATURE_WINDOW: {
		schema: int(5, 3600).default(300),
		doc: {
			default: '300',
			example: '60',
			description:
				'Seconds an agent request signature (RFC 9421 `created`) may be old or ahead of the server clock; its nonce is remembered that long to refuse replays.'
		}
	},
	PROOF_CLAIM_TIMEOUT: {
		schema: int(1, 86400).default(300),
		doc: {
			default: '300',
			example: '600',
			description:
				'Seconds a proof worker holds a claimed batch; a batch of a worker that died is taken up again after it.'
		}
	},
	PROOF_RETRY_BASE_DELAY: {
		schema: int(1, 86400).default(30),
		doc: {
			default: '30',
			example: '10',
			description: 'Seconds before the first retry of a FAILED_RETRYABLE proof (signer or storage down); doubled per attempt.'
		}
	},
	PROOF_RETRY_MAX_DELAY: {
		schema: int(1, 7 * 86400).default(3600),
		doc: { default: '3600', example: '900', description: 'Longest wait between two retries of a FAILED_RETRYABLE proof (seconds).' }
	},
	PROOF_RETRY_LIMIT: {
		schema: int(0, 1000).default(20),
		doc: {
			default: '20',
			example: '5',
			description:
				'Automatic retries of a FAILED_RETRYABLE proof; past it the proof waits for an operator to reprocess it.'
		}
	},
	MAINTENANCE_CRON: {
		schema: z
			.string()
			.regex(/^\S+( \S+){4}$/, 'must be a five-field cron expression (minute hour day month weekday, UTC)')
			.default('*/10 * * * *'),
		doc: {
			default: '*/10 * * * *',
			example: '0 * * * *',
			description:
				'When the maintenance worker purges expired sessions, dev-realm artifacts, rate-limit windows, Idempotency-Keys, old tenant events and agent nonces (cron, UTC; pg-boss schedules created at worker start).'
		}
	},
	MAINTENANCE_RETENTION_CRON: {
		schema: cron('30 3 * * *'),
		doc: {
			default: '30 3 * * *',
			example: '0 2 * * 0',
			description:
				'When the maintenance worker applies retention: raw proof objects and rejected proofs older than RETENTION_PROOF_DAYS (cron, UTC).'
		}
	},
	MAINTENANCE_ANONYMISE_CRON: {
		schema: cron('45 3 * * *'),
		doc: {
			default: '45 3 * * *',
			example: '0 4 * * 0',
			description: 'When the maintenance worker anonymises personal fields older than ANONYMISE_AFTER_DAYS (cron, UTC).'
		}
	},
	MAINTENANCE_INTEGRITY_CRON: {
		schema: cron('17 * * * *'),
		doc: {
			default: '17 * * * *',
			example: '*/15 * * * *',
			description:
				'When the maintenance worker verifies the audit hash chains, the signed receipts and the transparency log (cron, UTC). A break is a metric, an error log line and a banner in the admin console.'
		}
	},
	RETENTION_PROOF_DAYS: {
		schema: int(0, 36500).default(365),
		doc: {
			default: '365',
			example: '90',
			description:
				'Days after which the raw proof file of a certified proof is deleted from object storage (its certificate, PDF and log entry stay) and a rejected proof is deleted with its file. 0 keeps them forever.'
		}
	},
	ANONYMISE_AFTER_DAYS: {
		schema: int(0, 36500).default(0),
		doc: {
			default: '0',
			example: '730',
			description:
				'Days after which personal fields are anonymised: operator name and location in certificate records and proof summaries, and the e-mail address of people who are no longer a member of any tenant. The certificate PDF and the log leaf stay as issued, so every certificate still verifies. 0 never anonymises.'
		}
	},
	REPORTS_CRON: {
		schema: cron('0 2 1 * *'),
		doc: {
			default: '0 2 1 * *',
			example: '30 3 1 * *',
			description:
				'When the reports worker creates the monthly billing reports of the month just closed, per tenant in its time zone and platform-wide in UTC (cron, UTC; a pg-boss schedule created at worker start). Tenants whose month ends later than this (time zones west of UTC) are reported when it has ended.'
		}
	},
	EVENT_RETENTION_DAYS: {
		schema: int(1, 3650).default(7),
		doc: {
			default: '7',
			example: '30',
			description: 'Days live tenant events are kept for reconnecting browsers (Last-Event-ID replay); older ones are purged by maintenance.'
		}
	},
	BULK_CONCURRENCY: {
		schema: int(1, 64).default(4),
		doc: { default: '4', example: '8', description: 'Files of one bulk upload stored and registered at once.' }
	}
} as const satisfies Record<string, { schema: z.ZodType; doc: SettingDoc }>;

export type SettingName = keyof typeof settings;

export const configSchema = z.object(
	Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.schema])) as {
		[K in SettingName]: (typeof settings)[K]['schema'];
	}
);

export type Config = z.output<typeof configSchema>;
