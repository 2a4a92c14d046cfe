/**
 * The in-process keyring (ARCHITECTURE: signer; issue 5 §7): every private key
 * of the platform, generated into DATA_DIR/keys on first start and reused after:
 * - the platform root CA (ECDSA P-256) that certifies the signing keys;
 * - SIGNER_KEYS signing keys `rk-001`… (ECDSA P-256, keyUsage
 *   digitalSignature + nonRepudiation so PAdES validators accept them);
 * - the proof-encryption key (RSA-3072, RSAES-OAEP key transport: the most
 *   widely implemented CMS recipient type) and its certificate;
 * - the de-duplication HMAC key; the Ed25519 transparency-log checkpoint key;
 * - one agent CA per tenant, created on first use.
 * Keyring rules: one key signs a whole batch of at most SIGNER_BATCH_SIZE
 * records; a key is never held by two batches at once (a batch waits for a free
 * key); the least recently used free key is taken first.
 */
import { createHash, createHmac, createPublicKey, generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildSignedData, decryptEnvelopedData, CmsError } from './cms';
import { issueCertificate, KeyUsage, OID, parseCsr, spkiDer } from './pki';
import { KeyStore } from './store';
import { SignerUnavailable, type BatchSignature, type PublishedKeys, type Signer } from './types';

const generate = promisify(generateKeyPair);
const YEAR = 365 * 24 * 3600 * 1000;
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
	onLease?: (event: { type: 'acquire' | 'release'; keyId: string; batch: number; at?: Date }) => void;
};

/** Where keys are leased when several processes share one keyring directory. */
export interface KeyLeaseStore {
	/** leases the least recently used of `keyIds` that nobody holds; null when all are held */
	acquire(keyIds: string[], holder: string): Promise<{ keyId: string; at: Date } | null>;
	/** gives the key back (marks it used now); the time of release, null if the lease had been lost */
	release(keyId: string, holder: string): Promise<Date | null>;
	usage?(keyIds: string[]): Promise<Map<string, { batches: number; lastUsedAt: string | null }>>;
}

type SigningKey = { id: string; key: KeyObject; certPem: string; createdAt: string; batches: number; lastUsedAt: string | null; seq: number; busy: boolean };

const usageFile = z.record(z.string(), z.object({ batches: z.number().int(), lastUsedAt: z.string().nullable(), seq: z.number().int() }));
const noteFile = z.object({ name: z.string().min(1) });

export const keyIdFor = (n: number) => `rk-${String(n).padStart(3, '0')}`;
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** C2SP signed-note key hash: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key). */
export function noteKeyHash(name: string, publicKey: Uint8Array): Buffer {
	return createHash('sha256').update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), publicKey])).digest().subarray(0, 4);
}

const rawEd25519 = (key: KeyObject) => spkiDer(createPublicKey(key)).subarray(-32);

export class KeyringSigner implements Signer {
	private waiters: ((k: SigningKey) => void)[] = [];
	private seq = 0;
	private batchCounter = 0;
	private agentCas = new Map<string, Promise<{ key: KeyObject; certPem: string }>>();
	private usageWrite: Promise<void> = Promise.resolve();
	private usageTimer: NodeJS.Timeout | null = null;
	private closed = false;

	private constructor(
		private readonly store: KeyStore,
		private readonly opts: KeyringOptions,
		private readonly root: { key: KeyObject; certPem: string },
		private readonly signing: SigningKey[],
		private readonly encryption: { key: KeyObject; certPem: string },
		private readonly hmacKey: Buffer,
		private readonly note: { key: KeyObject; name: string; hash: Buffer; publicKey: Buffer }
	) {
		this.seq = Math.max(0, ...signing.map((k) => k.seq));
	}

	get batchSize(): number {
		return this.opts.batchSize;
	}

	/** Loads DATA_DIR/keys, generating what is missing under the directory lock. */
	static async open(dir: string, opts: KeyringOptions): Promise<KeyringSigner> {
		if (!Number.isInteger(opts.keys) || opts.keys < 1) throw new Error('the keyring needs at least one key');
		if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('the batch size must be a positive whole number');
		const store = new KeyStore(dir, opts.passphrase);
		return store.withLock(async () => {
			store.ensureDir();
			store.ensureDir('signing');
			store.ensureDir('agent-ca');
			let rootKey = store.readPrivateKey('root.key.pem');
			let rootCert = store.readText('root.crt.pem');
			if (!rootKey || !rootCert) {
				rootKey = (await generate('ec', { namedCurve: 'P-256' })).privateKey;
				rootCert = issueCertificate({
					subject: { CN: 'WipeCert Platform Root CA', O: 'WipeCert' },
					spki: spkiDer(createPublicKey(rootKey)),
					issuerKey: rootKey,
					notAfter: new Date(Date.now() + 20 * YEAR),
					ca: { pathLen: 1 },
					keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign]
				}).pem;
				store.writePrivateKey('root.key.pem', rootKey);
				store.write('root.crt.pem', rootCert);
			}
			const root = { key: rootKey, certPem: rootCert };

			const usage = (() => {
				const text = store.readText('usage.json');
				if (!text) return {};
				const parsed = usageFile.safeParse(JSON.parse(text));
				return parsed.success ? parsed.data : {};
			})();
			const signing: SigningKey[] = [];
			for (let n = 1; n <= opts.keys; n++) {
				const id = keyIdFor(n);
				let key = store.readPrivateKey(`signing/${id}.key.pem`);
				let certPem = store.readText(`signing/${id}.crt.pem`);
				if (!key || !certPem) {
					key = (await generate('ec', { namedCurve: 'P-256' })).privateKey;
					certPem = issueCertificate({
						subject: { CN: `WipeCert signing key ${id}`, O: 'WipeCert' },
						spki: spkiDer(createPublicKey(key)),
						issuerPem: root.certPem,
						issuerKey: root.key,
						notAfter: new Date(Date.now() + 5 * YEAR),
						keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation]
					}).pem;
					store.writePrivateKey(`signing/${id}.key.pem`, key);
					store.write(`signing/${id}.crt.pem`, certPem);
				}
				const u = usage[id];
				signing.push({
					id,
					key,
					certPem,
					createdAt: new X509Certificate(certPem).validFromDate.toISOString(),
					batches: u?.batches ?? 0,
					lastUsedAt: u?.lastUsedAt ?? null,
					seq: u?.seq ?? 0,
					busy: false
				});
			}

			let encKey = store.readPrivateKey('proof-encryption.key.pem');
			let encCert = store.readText('proof-encryption.crt.pem');
			if (!encKey || !encCert) {
				encKey = (await generate('rsa', { modulusLength: 3072 })).privateKey;
				encCert = issueCertificate({
					subject: { CN: 'WipeCert proof encryption', O: 'WipeCert' },
					spki: spkiDer(createPublicKey(encKey)),
					issuerPem: root.certPem,
					issuerKey: root.key,
					notAfter: new Date(Date.now() + 5 * YEAR),
					keyUsage: [KeyUsage.keyEncipherment]
				}).pem;
				store.writePrivateKey('proof-encryption.key.pem', encKey);
				store.write('proof-encryption.crt.pem', encCert);
			}

			let hmacKey = store.readSecret('hmac.key');
			if (!hmacKey) {
				hmacKey = randomBytes(32);
				store.writeSecret('hmac.key', hmacKey);
			}

			let noteKey = store.readPrivateKey('checkpoint.key.pem');
			let noteName = (() => {
				const t = store.readText('checkpoint.json');
				return t ? noteFile.parse(JSON.parse(t)).name : null;
			})();
			if (!noteKey || !noteName) {
				noteKey = (await generate('ed25519')).privateKey;
				noteName = opts.noteKeyName ?? 'wipecert.log';
				if (/[\s+]/.test(noteName)) throw new Error('a signed-note key name has no spaces or plus signs');
				store.writePrivateKey('checkpoint.key.pem', noteKey);
				store.write('checkpoint.json', JSON.stringify({ name: noteName }) + '\n');
			}
			const notePub = rawEd25519(noteKey);
			return new KeyringSigner(store, opts, root, signing, { key: encKey, certPem: encCert }, hmacKey, {
				key: noteKey,
				name: noteName,
				publicKey: notePub,
				hash: noteKeyHash(noteName, notePub)
			});
		});
	}

	private check(): void {
		if (this.closed) throw new Error('the keyring is closed');
	}

	/** Least recently used free key (never used first, then oldest use; ties by id). */
	private pickFree(): SigningKey | null {
		let best: SigningKey | null = null;
		for (const k of this.signing) if (!k.busy && (!best || k.seq < best.seq)) best = k;
		return best;
	}

	private readonly holderPrefix = `${process.pid}:${randomBytes(4).toString('hex')}`;

	/** A key for one batch: through the shared lease store when there is one, else among this process's free keys. */
	private async acquire(batch: number): Promise<SigningKey> {
		const store = this.opts.leases;
		if (!store) return this.acquireLocal(batch);
		const ids = this.signing.map((k) => k.id);
		for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
			let lease: { keyId: string; at: Date } | null;
			try {
				lease = await store.acquire(ids, `${this.holderPrefix}:${batch}`);
			} catch (error) {
				throw new SignerUnavailable(`key leases unavailable: ${(error as Error).message}`, { cause: error });
			}
			if (lease) {
				const k = this.signing.find((x) => x.id === lease.keyId)!;
				k.busy = true;
				this.opts.onLease?.({ type: 'acquire', keyId: k.id, batch, at: lease.at });
				return k;
			}
			// every key is held by some batch somewhere: wait for one to come back
			await new Promise((r) => setTimeout(r, wait));
		}
	}

	private async releaseKey(k: SigningKey, batch: number): Promise<void> {
		const store = this.opts.leases;
		if (!store) return this.release(k, batch);
		k.busy = false;
		k.batches++;
		k.lastUsedAt = new Date().toISOString();
		let at: Date | null = null;
		try {
			at = await store.release(k.id, `${this.holderPrefix}:${batch}`);
		} catch {
			// the lease runs out by itself (leased_until)
		}
		this.opts.onLease?.({ type: 'release', keyId: k.id, batch, at: at ?? undefined });
	}

	private acquireLocal(batch: number): Promise<SigningKey> {
		const k = this.pickFree();
		if (k) {
			k.busy = true;
			this.opts.onLease?.({ type: 'acquire', keyId: k.id, batch });
			return Promise.resolve(k);
		}
		return new Promise((resolve) =>
			this.waiters.push((key) => {
				this.opts.onLease?.({ type: 'acquire', keyId: key.id, batch });
				resolve(key);
			})
		);
	}

	private release(k: SigningKey, batch: number): void {
		k.seq = ++this.seq;
		k.batches++;
		k.lastUsedAt = new Date().toISOString();
		k.busy = false;
		this.opts.onLease?.({ type: 'release', keyId: k.id, batch });
		this.saveUsage();
		const waiter = this.waiters.shift();
		if (waiter) {
			const next = this.pickFree()!;
			next.busy = true;
			waiter(next);
		}
	}

	/**
	 * LRU order and counters survive a restart (best effort: the keys are what
	 * matters). Written at most once a second and on close: a synchronous file
	 * write after every signature was ~1 ms of each PDF (issue 8 profile).
	 */
	private saveUsage(): void {
		if (this.usageTimer) return;
		this.usageTimer = setTimeout(() => this.flushUsage(), 1000);
		this.usageTimer.unref();
	}

	private flushUsage(): Promise<void> {
		if (this.usageTimer) clearTimeout(this.usageTimer);
		this.usageTimer = null;
		const snapshot = JSON.stringify(Object.fromEntries(this.signing.map((k) => [k.id, { batches: k.batches, lastUsedAt: k.lastUsedAt, seq: k.seq }])));
		this.usageWrite = this.usageWrite.then(() => {
			try {
				this.store.write('usage.json', snapshot);
			} catch {
				// a full disk must not fail a signature
			}
		});
		return this.usageWrite;
	}

	async decryptEnvelope(envelopedDer: Uint8Array): Promise<Uint8Array> {
		this.check();
		try {
			return decryptEnvelopedData(envelopedDer, [this.encryption]).content;
		} catch (error) {
			if (error instanceof CmsError) throw new Error(error.message);
			throw error;
		}
	}

	async hmac(bytes: Uint8Array): Promise<string> {
		this.check();
		return createHmac('sha256', this.hmacKey).update(bytes).digest('hex');
	}

	async signBatch(records: { id: string; bytes: Uint8Array }[]): Promise<BatchSignature> {
		this.check();
		if (!records.length) throw new Error('a batch holds at least one record');
		if (records.length > this.opts.batchSize) throw new Error(`a batch holds at most ${this.opts.batchSize} records (SIGNER_BATCH_SIZE)`);
		if (new Set(records.map((r) => r.id)).size !== records.length) throw new Error('record ids of a batch must be unique');
		const batch = ++this.batchCounter;
		const key = await this.acquire(batch);
		try {
			const signatures = new Map<string, string>();
			for (const [i, r] of records.entries()) {
				signatures.set(r.id, sign('sha256', r.bytes, key.key).toString('base64'));
				// a large batch must not starve the event loop (HTTP, other batches)
				if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
			}
			return { keyId: key.id, algorithm: RECEIPT_ALGORITHM, signatures };
		} finally {
			await this.releaseKey(key, batch);
		}
	}

	async signPdfDigest(sha256: Uint8Array): Promise<{ keyId: string; cms: Uint8Array }> {
		this.check();
		if (sha256.byteLength !== 32) throw new Error('a SHA-256 digest is 32 bytes');
		const batch = ++this.batchCounter;
		const key = await this.acquire(batch);
		try {
			const cms = buildSignedData({ digest: sha256, signerCertPem: key.certPem, chainPem: [this.root.certPem], key: key.key, essSigningCertificate: true });
			return { keyId: key.id, cms };
		} finally {
			await this.releaseKey(key, batch);
		}
	}

	async signNote(body: string): Promise<{ keyName: string; keyHash: Uint8Array; signature: Uint8Array }> {
		this.check();
		return { keyName: this.note.name, keyHash: Buffer.from(this.note.hash), signature: sign(null, Buffer.from(body, 'utf8'), this.note.key) };
	}

	private agentCa(tenantId: string): Promise<{ key: KeyObject; certPem: string }> {
		if (!TENANT_ID.test(tenantId)) return Promise.reject(new Error('bad tenant id'));
		let ca = this.agentCas.get(tenantId);
		if (!ca) {
			ca = this.store.withLock(async () => {
				const name = `agent-ca/${tenantId}`;
				let key = this.store.readPrivateKey(`${name}.key.pem`);
				let certPem = this.store.readText(`${name}.crt.pem`);
				if (!key || !certPem) {
					key = (await generate('ec', { namedCurve: 'P-256' })).privateKey;
					certPem = issueCertificate({
						subject: { CN: `WipeCert agent CA ${tenantId}`, O: 'WipeCert' },
						spki: spkiDer(createPublicKey(key)),
						issuerPem: this.root.certPem,
						issuerKey: this.root.key,
						notAfter: new Date(Date.now() + 10 * YEAR),
						ca: { pathLen: 0 },
						keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign]
					}).pem;
					this.store.writePrivateKey(`${name}.key.pem`, key);
					this.store.write(`${name}.crt.pem`, certPem);
				}
				return { key, certPem };
			});
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
			signing: this.signing.map((k) => ({ keyId: k.id, algorithm: RECEIPT_ALGORITHM, certificatePem: k.certPem, createdAt: k.createdAt, retiredAt: null })),
			rootCertificatePem: this.root.certPem,
			proofEncryptionCertificatePem: this.encryption.certPem,
			logVerifierKey: `${this.note.name}+${this.note.hash.toString('hex')}+${Buffer.concat([Buffer.from([0x01]), this.note.publicKey]).toString('base64')}`
		};
	}

	async keyUsage(): Promise<{ keyId: string; batches: number; lastUsedAt: string | null }[]> {
		if (this.opts.leases?.usage) {
			const shared = await this.opts.leases.usage(this.signing.map((k) => k.id));
			return this.signing.map((k) => ({ keyId: k.id, batches: shared.get(k.id)?.batches ?? 0, lastUsedAt: shared.get(k.id)?.lastUsedAt ?? null }));
		}
		return this.signing.map((k) => ({ keyId: k.id, batches: k.batches, lastUsedAt: k.lastUsedAt }));
	}

	async close(): Promise<void> {
		this.closed = true;
		if (this.usageTimer) await this.flushUsage();
		await this.usageWrite;
	}
}

/** The in-process keyring over `dir` (DATA_DIR/keys); tests pass a temporary directory. */
export function createKeyringSigner(dir: string, opts: KeyringOptions): Promise<KeyringSigner> {
	return KeyringSigner.open(dir, opts);
}
