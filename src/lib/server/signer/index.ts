/**
 * The signer: every private key of the platform behind one interface
 * (types.ts). A process has one, made by its container from the settings: the
 * in-process keyring over DATA_DIR/keys when SIGNER_URL is unset, the remote
 * signer service over mTLS otherwise (docs/architecture.md, "Keyring").
 */
import { SpanKind } from '@opentelemetry/api';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from '#lib/server/config';
import { createKeyringSigner, type KeyLeaseStore, type KeyringSigner } from './keyring';
import { postgresLeaseStore } from './leases';
import { RemoteSigner } from './remote';
import type { Signer } from './types';
import { traceMethods } from '#lib/server/telemetry/instrument';

const SIGNER_METHODS = ['decryptEnvelope', 'hmac', 'signBatch', 'signPdfDigest', 'signPdfDigests', 'signNote', 'issueAgentCertificate', 'agentCaCertificate', 'publicKeys', 'keyUsage'] as const satisfies readonly (keyof Signer)[];

/** A span per signer call (`signer.<method>`), marked local (in-process keyring) or remote (mTLS, the trace context goes along). */
export function traceSigner(signer: Signer, where: 'local' | 'remote'): Signer {
	return traceMethods(signer, 'signer', SIGNER_METHODS, { 'wipecert.signer': where }, where === 'remote' ? SpanKind.CLIENT : SpanKind.INTERNAL);
}

export { SignerUnavailable, type Signer, type BatchSignature, type PublishedKeys } from './types';
export { createKeyringSigner, KeyringSigner, RECEIPT_ALGORITHM, noteKeyHash, type KeyringOptions, type KeyLeaseStore } from './keyring';
export { postgresLeaseStore, signReceiptsOnce, type Receipt } from './leases';
export { RemoteSigner, type RemoteSignerOptions } from './remote';
export { createSignerServer, type SignerServerOptions } from './server';

/** A TLS setting is a PEM file path or the PEM itself. */
export function pemSetting(value: string): string {
	return value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8');
}

/** Key name of the checkpoint key: LOG_ORIGIN, or ORIGIN's host + `/log` (C2SP: key name = log origin). */
export function noteKeyNameFor(config: Pick<ResolvedConfig, 'origin'> & { LOG_ORIGIN?: string }): string {
	return config.LOG_ORIGIN ?? `${new URL(config.origin).host}/log`;
}

/**
 * The in-process keyring as the settings describe it (also what the `signer`
 * service serves). `leases`: shared with the other processes on this keyring
 * directory (PostgreSQL); the `signer` service, the only user of its keys, keeps them in memory.
 */
export function keyringFromConfig(config: ResolvedConfig, leases?: KeyLeaseStore): Promise<KeyringSigner> {
	return createKeyringSigner(join(config.dataDir, 'keys'), {
		leases,
		keys: config.SIGNER_KEYS,
		batchSize: config.SIGNER_BATCH_SIZE,
		passphrase: config.SIGNER_KEY_PASSPHRASE,
		agentCertificateDays: config.SIGNER_AGENT_CERT_DAYS,
		noteKeyName: noteKeyNameFor(config)
	});
}

export function remoteFromConfig(config: ResolvedConfig): RemoteSigner {
	return new RemoteSigner({
		url: config.SIGNER_URL!,
		cert: pemSetting(config.SIGNER_TLS_CERT!),
		key: pemSetting(config.SIGNER_TLS_KEY!),
		ca: pemSetting(config.SIGNER_TLS_CA!),
		timeoutMs: config.SIGNER_TIMEOUT * 1000
	});
}
