/**
 * Opens a proof envelope (cms-envelope.ts reads it) with the platform's
 * proof-encryption keys: RSAES-OAEP SHA-256 key transport to the RSA key
 * (RFC 8017, RFC 4055 parameters) or ephemeral-static ECDH to the P-256 key
 * (RFC 5753, cms-ecdh.ts), then AES-256-GCM (RFC 5084). Every failure is
 * CmsError('decrypt') with a message an agent's author can act on.
 */
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { CmsError } from './cms';
import { agreeAndUnwrap } from './cms-ecdh';
import { certificateIdentity, names, readProofEnvelope, type ProofEnvelopeParts, type RecipientInfo } from './cms-envelope';
import { algorithm, DerError, expectTag, items, octets, smallInt, TAG, type Der } from './der';
import { OID } from './pki';

export type DecryptionKey = { certPem: string; key: KeyObject };

const SHA1 = '1.3.14.3.2.26';
const HASH_NAMES: Record<string, string> = { [SHA1]: 'SHA-1', [OID.sha256]: 'SHA-256', '2.16.840.1.101.3.4.2.2': 'SHA-384', '2.16.840.1.101.3.4.2.3': 'SHA-512' };
const OAEP_HINT = 'use RSAES-OAEP with SHA-256 and MGF1-SHA-256 (openssl cms -encrypt: -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256)';

/**
 * RSAES-OAEP-params (RFC 8017 A.2.1, RFC 4055 §4.1): hashAlgorithm [0] and
 * maskGenAlgorithm [1] must name SHA-256; absent means SHA-1, which is refused.
 */
function checkOaepParameters(params: Der | null): void {
	let hash = SHA1;
	let mgf = OID.mgf1 as string;
	let mgfHash = SHA1;
	try {
		if (params) {
			for (const p of expectTag(params, TAG.SEQUENCE, 'RSAES-OAEP-params').children) {
				if (p.id === TAG.ctx(0)) hash = algorithm(items(p, 'hashAlgorithm', 1)[0], 'hashAlgorithm').oid;
				else if (p.id === TAG.ctx(1)) {
					const m = algorithm(items(p, 'maskGenAlgorithm', 1)[0], 'maskGenAlgorithm');
					mgf = m.oid;
					mgfHash = m.params ? algorithm(m.params, 'MGF1 hash').oid : SHA1;
				} else if (p.id !== TAG.ctx(2)) throw new DerError('unexpected element');
			}
		}
	} catch {
		throw new CmsError('decrypt', 'the RSAES-OAEP parameters are malformed');
	}
	if (hash !== OID.sha256 || mgf !== OID.mgf1 || mgfHash !== OID.sha256) {
		throw new CmsError('decrypt', `the key is wrapped with RSAES-OAEP ${HASH_NAMES[hash] ?? hash} / MGF1-${HASH_NAMES[mgfHash] ?? mgfHash}: ${OAEP_HINT}`);
	}
}

function unwrapOaep(alg: { oid: string; params: Der | null }, encryptedKey: Uint8Array, key: KeyObject): Buffer {
	if (alg.oid === OID.rsaEncryption) throw new CmsError('decrypt', `the key is wrapped with rsaEncryption (PKCS #1 v1.5), which this platform refuses: ${OAEP_HINT}`);
	if (alg.oid !== OID.rsaesOaep) throw new CmsError('decrypt', `key transport ${alg.oid} is not RSAES-OAEP: ${OAEP_HINT}`);
	checkOaepParameters(alg.params);
	let cek: Buffer;
	try {
		cek = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, encryptedKey);
	} catch {
		throw new CmsError('decrypt', 'the content-encryption key does not unwrap (RSA-OAEP SHA-256)');
	}
	if (cek.length !== 32) throw new CmsError('decrypt', 'the content-encryption key is not 256 bits');
	return cek;
}

/**
 * The content-encryption key from the first RecipientInfo addressed to one of
 * `keys`: a KeyTransRecipientInfo to an RSA key (by issuer and serial, or subject
 * key identifier), or a KeyAgreeRecipientInfo with a RecipientEncryptedKey for a
 * P-256 key. PKCS #1 v1.5 key transport (`rsaEncryption`, what
 * `openssl cms -encrypt` writes unless told otherwise) is refused by name,
 * since its padding check is a decryption oracle (Bleichenbacher 1998).
 */
export function unwrapContentKey(recipients: RecipientInfo[], keys: DecryptionKey[]): Buffer {
	for (const ri of recipients) {
		for (const k of keys) {
			const kind = k.key.asymmetricKeyType;
			const cert = certificateIdentity(k.certPem);
			if (ri.type === 'ktri' && kind === 'rsa' && names(ri.rid, cert)) return unwrapOaep(ri.alg, ri.encryptedKey, k.key);
			if (ri.type === 'kari' && kind === 'ec') {
				const rek = ri.recipients.find((r) => names(r.rid, cert));
				if (rek) return agreeAndUnwrap(ri, rek.encryptedKey, k.key);
			}
		}
	}
	throw new CmsError('decrypt', 'the proof is not encrypted to this platform’s proof-encryption certificate');
}

/** RFC 5084 §3.2 GCMParameters: the nonce and the ICV length (12 when absent), 12 to 16 accepted. */
export function gcmParameters(alg: { oid: string; params: Der | null }): { nonce: Uint8Array; icvLen: number } {
	if (alg.oid !== OID.aes256Gcm) throw new CmsError('decrypt', `content encryption ${alg.oid} is not AES-256-GCM`);
	let nonce: Uint8Array;
	let icvLen = 12;
	try {
		const [n, icv] = items(expectTag(alg.params ?? undefined, TAG.SEQUENCE, 'GCMParameters'), 'GCMParameters', 1, 2);
		nonce = octets(n, 'aes-nonce');
		if (icv) icvLen = smallInt(icv, 'aes-ICVlen');
	} catch {
		throw new CmsError('decrypt', 'GCMParameters are missing');
	}
	if (!nonce.length) throw new CmsError('decrypt', 'the GCM nonce is empty');
	if (icvLen < 12 || icvLen > 16) throw new CmsError('decrypt', `unsupported GCM ICV length ${icvLen}`);
	return { nonce, icvLen };
}

/** AES-256-GCM open; CmsError 'decrypt' when the tag does not verify. */
export function gcmOpen(cek: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array): Buffer {
	try {
		const decipher = createDecipheriv('aes-256-gcm', cek, nonce, { authTagLength: tag.length });
		if (aad) decipher.setAAD(aad);
		decipher.setAuthTag(tag);
		return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
	} catch {
		throw new CmsError('decrypt', 'the ciphertext does not authenticate (AES-256-GCM)');
	}
}

/** Decrypts an envelope already read: AuthEnvelopedData (tag in `mac`) or the first form (tag appended). */
export function openEnvelope(env: ProofEnvelopeParts, keys: DecryptionKey[]): { contentType: string; content: Buffer } {
	const { nonce, icvLen } = gcmParameters(env.contentAlg);
	if (env.mac && env.mac.length !== icvLen) throw new CmsError('decrypt', `the mac is ${env.mac.length} bytes, GCMParameters say ${icvLen}`);
	if (!env.encrypted) throw new CmsError('decrypt', 'no encrypted content');
	if (!env.mac && env.encrypted.length < icvLen) throw new CmsError('decrypt', 'the ciphertext is shorter than its tag');
	const cek = unwrapContentKey(env.recipients, keys);
	const [ciphertext, tag] = env.mac ? [env.encrypted, env.mac] : [env.encrypted.subarray(0, env.encrypted.length - icvLen), env.encrypted.subarray(env.encrypted.length - icvLen)];
	return { contentType: env.contentType, content: gcmOpen(cek, nonce, ciphertext, tag, env.aad ?? undefined) };
}

/**
 * Decrypts a proof envelope of either form with whichever of `keys` it is
 * addressed to (several after a rotation, RSA and P-256 side by side).
 * CmsError 'malformed' / 'not_enveloped' for the structure, 'decrypt' for the keys and the ciphertext.
 */
export function decryptProofEnvelope(der: Uint8Array, keys: DecryptionKey[]): { contentType: string; content: Buffer } {
	return openEnvelope(readProofEnvelope(der), keys);
}
