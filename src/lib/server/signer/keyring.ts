/**
 * The in-process keyring: every private key
 * of the platform, generated into DATA_DIR/keys on first start and reused after:
 * - the platform root CA (ECDSA P-256) that certifies the signing keys;
 * - SIGNER_KEYS signing keys `rk-001`… (ECDSA P-256, keyUsage
 *   digitalSignature + nonRepudiation so PAdES validators accept them);
 * - the proof-encryption keys and their certificates: RSA-3072 (RSAES-OAEP key
 *   transport, the most widely implemented CMS recipient type) and P-256
 *   (ephemeral-static ECDH, RFC 5753: a fraction of the RSA private-key
 *   operation's CPU to open); agents choose;
 * - the de-duplication HMAC key; the Ed25519 transparency-log checkpoint key;
 * - one agent CA per tenant, created on first use;
 * - the chain key (ECDSA secp256k1) that signs anchor transactions.
 * Keyring rules: one key signs a whole batch of at most SIGNER_BATCH_SIZE
 * records; a key is never held by two batches at once (a batch waits for a free
 * key); the least recently used free key is taken first.
 */
import { createHmac, sign } from 'node:crypto';
import { keccak256 } from 'viem';
import { signTransaction } from 'viem/accounts';
import { serializable } from './chain-tx';
import { CmsError } from './cms';
import { preparedSignedData, signDetached } from './cms-detached';
import { decryptProofEnvelope } from './cms-decrypt';
import { KeyLeases, type KeyLeaseStore, type LeaseEvent } from './key-leases';
import { loadAgentCa, loadKeyMaterial, type KeyMaterial, type KeyPair } from './key-material';
import { issueCertificate, KeyUsage, OID, parseCsr } from './pki';
import type { BatchSignature, ChainTransaction, Hex, PublishedKeys, SignedChainTransaction, Signer } from './types';

export { noteKeyHash, keyIdFor } from './key-material';
export type { KeyLeaseStore } from './key-leases';

export const RECEIPT_ALGORITHM = 'ECDSA-P256-SHA256';

export type KeyringOptions = {
	/** SIGNER_KEYS: signing keys wanted; more than on disk adds keys, fewer leaves the rest unused */
	keys: number;
	/** SIGNER_BATCH_SIZE: most records one signBatch call may hold */
	batchSize: number;
	/** SIGNER_KEY_PASSPHRASE: private keys encrypted at rest */
	passphrase?: string;
	/** C2SP signed-note key name, fixed when the checkpoint key is generated */
	noteKeyName?: string;
	/** days an agent certificate is valid */
	agentCertificateDays?: number;
	/**
	 * Leases shared with other processes (PostgreSQL, leases.ts): a key is then
	 * never held by two batches of any process. Absent: leases within this process.
	 */
	leases?: KeyLeaseStore;
	/** observes leases (tests of the keyring rules); `at` is the lease store's clock */
	onLease?: (event: LeaseEvent) => void;
};

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The keyring's cryptography. Which key signs a batch, and its use, is the
 * leases' business (key-leases.ts); the key material on disk is loaded by
 * key-material.ts.
 */
export class KeyringSigner implements Signer {
	private agentCas = new Map<string, Promise<KeyPair>>();
	private closed = false;

	private constructor(
		private readonly material: KeyMaterial,
		private readonly leases: KeyLeases,
		private readonly opts: KeyringOptions
	) {}

	get batchSize(): number {
		return this.opts.batchSize;
	}

	/** Loads DATA_DIR/keys, generating what is missing under the directory lock. */
	static async open(dir: string, opts: KeyringOptions): Promise<KeyringSigner> {
		const material = await loadKeyMaterial(dir, opts);
		return new KeyringSigner(material, new KeyLeases(material.signing, material.store, { leases: opts.leases, onLease: opts.onLease }), opts);
	}

	private check(): void {
		if (this.closed) throw new Error('the keyring is closed');
	}

	async decryptEnvelope(envelopedDer: Uint8Array): Promise<Uint8Array> {
		this.check();
		try {
			return decryptProofEnvelope(envelopedDer, [this.material.encryption, this.material.ecdhEncryption]).content;
		} catch (error) {
			if (error instanceof CmsError) throw new Error(error.message);
			throw error;
		}
	}

	async hmac(bytes: Uint8Array): Promise<string> {
		this.check();
		return createHmac('sha256', this.material.hmacKey).update(bytes).digest('hex');
	}

	async signBatch(records: { id: string; bytes: Uint8Array }[]): Promise<BatchSignature> {
		this.check();
		if (!records.length) throw new Error('a batch holds at least one record');
		if (records.length > this.opts.batchSize) throw new Error(`a batch holds at most ${this.opts.batchSize} records (SIGNER_BATCH_SIZE)`);
		if (new Set(records.map((r) => r.id)).size !== records.length) throw new Error('record ids of a batch must be unique');
		return this.leases.withKey(async (key) => {
			const signatures = new Map<string, string>();
			for (const [i, r] of records.entries()) {
				signatures.set(r.id, sign('sha256', r.bytes, key.key).toString('base64'));
				// a large batch must not starve the event loop (HTTP, other batches)
				if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
			}
			return { keyId: key.id, algorithm: RECEIPT_ALGORITHM, signatures };
		});
	}

	async signPdfDigest(sha256: Uint8Array): Promise<{ keyId: string; cms: Uint8Array }> {
		this.check();
		if (sha256.byteLength !== 32) throw new Error('a SHA-256 digest is 32 bytes');
		return this.leases.withKey(async (key) => ({
			keyId: key.id,
			cms: signDetached(preparedSignedData(key.certPem, [this.material.root.certPem]), sha256, key.key)
		}));
	}

	async signPdfDigests(digests: Uint8Array[]): Promise<{ keyId: string; cms: Uint8Array[] }> {
		this.check();
		// the PDFs of one issued batch: as many as its records, which signBatch bounded by SIGNER_BATCH_SIZE
		if (!digests.length) throw new Error('a batch holds at least one digest');
		if (digests.some((d) => d.byteLength !== 32)) throw new Error('a SHA-256 digest is 32 bytes');
		return this.leases.withKey(async (key) => {
			const template = preparedSignedData(key.certPem, [this.material.root.certPem]);
			return { keyId: key.id, cms: digests.map((d) => signDetached(template, d, key.key)) };
		});
	}

	async signNote(body: string): Promise<{ keyName: string; keyHash: Uint8Array; signature: Uint8Array }> {
		this.check();
		return { keyName: this.material.note.name, keyHash: Buffer.from(this.material.note.hash), signature: sign(null, Buffer.from(body, 'utf8'), this.material.note.key) };
	}

	private agentCa(tenantId: string): Promise<KeyPair> {
		if (!TENANT_ID.test(tenantId)) return Promise.reject(new Error('bad tenant id'));
		let ca = this.agentCas.get(tenantId);
		if (!ca) {
			ca = loadAgentCa(this.material, tenantId);
			this.agentCas.set(tenantId, ca);
			ca.catch(() => this.agentCas.delete(tenantId));
		}
		return ca;
	}

	async agentCaCertificate(tenantId: string): Promise<string> {
		this.check();
		return (await this.agentCa(tenantId)).certPem;
	}

	async issueAgentCertificate(request: { tenantId: string; agentId: string; name: string; csrPem: string }) {
		this.check();
		const { spki } = parseCsr(request.csrPem);
		const ca = await this.agentCa(request.tenantId);
		const notAfter = new Date(Date.now() + (this.opts.agentCertificateDays ?? 730) * 24 * 3600 * 1000);
		const issued = issueCertificate({
			subject: { CN: request.name.slice(0, 64) || request.agentId, OU: `agent ${request.agentId}`, O: `tenant ${request.tenantId}` },
			spki,
			issuerPem: ca.certPem,
			issuerKey: ca.key,
			notAfter,
			keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation],
			extKeyUsage: [OID.clientAuth]
		});
		return { certificatePem: issued.pem, caCertificatePem: ca.certPem, serialHex: issued.serialHex, notAfter };
	}

	async publicKeys(): Promise<PublishedKeys> {
		this.check();
		return {
			signing: this.leases.keys.map((k) => ({ keyId: k.id, algorithm: RECEIPT_ALGORITHM, certificatePem: k.certPem, createdAt: k.createdAt, retiredAt: null })),
			rootCertificatePem: this.material.root.certPem,
			proofEncryptionCertificatePem: this.material.encryption.certPem,
			proofEncryptionEcdhCertificatePem: this.material.ecdhEncryption.certPem,
			logVerifierKey: `${this.material.note.name}+${this.material.note.hash.toString('hex')}+${Buffer.concat([Buffer.from([0x01]), this.material.note.publicKey]).toString('base64')}`
		};
	}

	async chainAddress(): Promise<Hex> {
		this.check();
		return this.material.chain.address;
	}

	async signTransaction(tx: ChainTransaction): Promise<SignedChainTransaction> {
		this.check();
		const raw = await signTransaction({ privateKey: this.material.chain.privateKey, transaction: serializable(tx) });
		return { from: this.material.chain.address, raw, hash: keccak256(raw) };
	}

	keyUsage(): Promise<{ keyId: string; batches: number; lastUsedAt: string | null }[]> {
		return this.leases.usage();
	}

	async close(): Promise<void> {
		this.closed = true;
		await this.leases.close();
	}
}

/** The in-process keyring over `dir` (DATA_DIR/keys); tests pass a temporary directory. */
export function createKeyringSigner(dir: string, opts: KeyringOptions): Promise<KeyringSigner> {
	return KeyringSigner.open(dir, opts);
}
