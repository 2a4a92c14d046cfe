/**
 * The keyring's key material on disk (DATA_DIR/keys): loaded, and generated
 * where missing, under the directory lock, so two processes starting on one
 * directory never generate a key twice. Besides the signing material, the
 * chain key (ECDSA secp256k1) that signs anchor transactions and the P-256
 * proof-encryption key: a keyring made before either existed gets it on its
 * next start. Private keys are encrypted at rest
 * with SIGNER_KEY_PASSPHRASE when it is set (store.ts).
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { privateKeyToAddress } from 'viem/accounts';
import { z } from 'zod';
import { usageFile, type SigningKey } from './key-leases';
import { issueCertificate, KeyUsage, spkiDer } from './pki';
import { KeyStore } from './store';
import type { Hex } from './types';

const generate = promisify(generateKeyPair);
const YEAR = 365 * 24 * 3600 * 1000;

const noteFile = z.object({ name: z.string().min(1) });

export const keyIdFor = (n: number) => `rk-${String(n).padStart(3, '0')}`;

/** C2SP signed-note key hash: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key). */
export function noteKeyHash(name: string, publicKey: Uint8Array): Buffer {
	return createHash('sha256').update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), publicKey])).digest().subarray(0, 4);
}

const rawEd25519 = (key: KeyObject) => spkiDer(createPublicKey(key)).subarray(-32);

export type KeyPair = { key: KeyObject; certPem: string };

type KeySpec = { rsa: { modulusLength: number } } | { ec: { namedCurve: string } };
const P256: KeySpec = { ec: { namedCurve: 'P-256' } };

/**
 * A key pair stored as `<name>.key.pem` and `<name>.crt.pem`, generated and
 * certified by `issuer` (self-signed without one) when either file is missing.
 */
async function storedKeyPair(
	store: KeyStore,
	name: string,
	spec: KeySpec,
	cert: Pick<Parameters<typeof issueCertificate>[0], 'subject' | 'keyUsage' | 'ca'> & { years: number },
	issuer?: KeyPair
): Promise<KeyPair> {
	const stored = store.readPrivateKey(`${name}.key.pem`);
	const storedCert = store.readText(`${name}.crt.pem`);
	if (stored && storedCert) return { key: stored, certPem: storedCert };
	const key = ('rsa' in spec ? await generate('rsa', spec.rsa) : await generate('ec', spec.ec)).privateKey;
	const certPem = issueCertificate({
		subject: cert.subject,
		spki: spkiDer(createPublicKey(key)),
		...(issuer ? { issuerPem: issuer.certPem, issuerKey: issuer.key } : { issuerKey: key }),
		notAfter: new Date(Date.now() + cert.years * YEAR),
		...(cert.ca ? { ca: cert.ca } : {}),
		keyUsage: cert.keyUsage
	}).pem;
	store.writePrivateKey(`${name}.key.pem`, key);
	store.write(`${name}.crt.pem`, certPem);
	return { key, certPem };
}

export type KeyMaterial = {
	store: KeyStore;
	root: KeyPair;
	signing: SigningKey[];
	encryption: KeyPair;
	/** the P-256 proof-encryption key: ephemeral-static ECDH (RFC 5753), cheaper to open than RSA-OAEP */
	ecdhEncryption: KeyPair;
	hmacKey: Buffer;
	note: { key: KeyObject; name: string; hash: Buffer; publicKey: Buffer };
	/** the chain key as viem signs with it (32-byte hex scalar) and its address */
	chain: { privateKey: Hex; address: Hex };
};

/** Loads DATA_DIR/keys, generating what is missing under the directory lock. */
export async function loadKeyMaterial(dir: string, opts: { keys: number; batchSize: number; passphrase?: string; noteKeyName?: string }): Promise<KeyMaterial> {
	if (!Number.isInteger(opts.keys) || opts.keys < 1) throw new Error('the keyring needs at least one key');
	if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error('the batch size must be a positive whole number');
	const store = new KeyStore(dir, opts.passphrase);
	return store.withLock(async () => {
		store.ensureDir();
		store.ensureDir('signing');
		store.ensureDir('agent-ca');
		const root = await storedKeyPair(store, 'root', P256, {
			subject: { CN: 'WipeCert Platform Root CA', O: 'WipeCert' },
			years: 20,
			ca: { pathLen: 1 },
			keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign]
		});

		const usage = (() => {
			const text = store.readText('usage.json');
			if (!text) return {};
			const parsed = usageFile.safeParse(JSON.parse(text));
			return parsed.success ? parsed.data : {};
		})();
		const signing: SigningKey[] = [];
		for (let n = 1; n <= opts.keys; n++) {
			const id = keyIdFor(n);
			const { key, certPem } = await storedKeyPair(
				store,
				`signing/${id}`,
				P256,
				{ subject: { CN: `WipeCert signing key ${id}`, O: 'WipeCert' }, years: 5, keyUsage: [KeyUsage.digitalSignature, KeyUsage.nonRepudiation] },
				root
			);
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

		const encryption = await storedKeyPair(
			store,
			'proof-encryption',
			{ rsa: { modulusLength: 3072 } },
			{ subject: { CN: 'WipeCert proof encryption', O: 'WipeCert' }, years: 5, keyUsage: [KeyUsage.keyEncipherment] },
			root
		);
		// a keyring made before ECDH proofs existed gets this key on its next start, as it got the chain key
		const ecdhEncryption = await storedKeyPair(
			store,
			'proof-encryption-ecdh',
			P256,
			// RFC 5480 §3: a key agreement key has keyAgreement, not keyEncipherment
			{ subject: { CN: 'WipeCert proof encryption (ECDH)', O: 'WipeCert' }, years: 5, keyUsage: [KeyUsage.keyAgreement] },
			root
		);

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

		let chainKey = store.readPrivateKey('chain.key.pem');
		if (!chainKey) {
			chainKey = (await generate('ec', { namedCurve: 'secp256k1' })).privateKey;
			store.writePrivateKey('chain.key.pem', chainKey);
		}
		const chainPrivate: Hex = `0x${Buffer.from(chainKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex').padStart(64, '0')}`;
		return {
			store,
			root,
			signing,
			encryption,
			ecdhEncryption,
			hmacKey,
			note: { key: noteKey, name: noteName, publicKey: notePub, hash: noteKeyHash(noteName, notePub) },
			chain: { privateKey: chainPrivate, address: privateKeyToAddress(chainPrivate) }
		};
	});
}

/** A tenant's agent CA (certified by the root), created on first use under the directory lock. */
export function loadAgentCa(material: Pick<KeyMaterial, 'store' | 'root'>, tenantId: string): Promise<KeyPair> {
	const { store, root } = material;
	return store.withLock(async () => {
		return storedKeyPair(
			store,
			`agent-ca/${tenantId}`,
			P256,
			{ subject: { CN: `WipeCert agent CA ${tenantId}`, O: 'WipeCert' }, years: 10, ca: { pathLen: 0 }, keyUsage: [KeyUsage.keyCertSign, KeyUsage.cRLSign] },
			root
		);
	});
}
