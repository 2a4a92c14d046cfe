/**
 * Ephemeral-static ECDH key agreement for CMS (RFC 5753 §3.1), the proof
 * format's second key management technique beside RSAES-OAEP key transport:
 * one P-256 scalar multiplication and a hash open it, against an RSA-3072
 * private-key operation.
 *
 *   KeyAgreeRecipientInfo ::= SEQUENCE {                 RFC 5652 §6.2.2
 *     version CMSVersion,                                 -- 3
 *     originator [0] EXPLICIT OriginatorIdentifierOrKey,  -- originatorKey [1]: the ephemeral public key
 *     ukm [1] EXPLICIT UserKeyingMaterial OPTIONAL,
 *     keyEncryptionAlgorithm,                             -- dhSinglePass-stdDH-sha256kdf-scheme { id-aes256-wrap }
 *     recipientEncryptedKeys SEQUENCE OF RecipientEncryptedKey }
 *
 * The key-encryption key is the X9.63 KDF with SHA-256 (SEC 1 §3.6.1) of the
 * shared x-coordinate and the DER ECC-CMS-SharedInfo (RFC 5753 §7.2); the
 * content-encryption key is wrapped with AES key wrap (RFC 3394, RFC 3565).
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CmsError } from './cms';
import { absentOrNull, algorithm, oid as readOid, TAG, type Der } from './der';
import { bitString, int, octetString, oid, seq, tlv } from './der-write';
import { certificateIdentity, type KeyAgreeRecipient } from './cms-envelope';
import { OID } from './pki';

/** RFC 3394 §2.2.3.1 default initial value */
const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** SubjectPublicKeyInfo of a P-256 point (RFC 5480 §2): the DER before the 65-byte uncompressed point */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const ECDH_HINT = 'use ECDH with the SHA-256 KDF and AES-256 key wrap (openssl cms -encrypt -aes-256-gcm: -keyopt ecdh_kdf_md:sha256)';

/** The key wrap AlgorithmIdentifier: RFC 3565 §2.3.2, parameters absent. */
const aes256WrapAlg = () => seq(oid(OID.aes256Wrap));

/**
 * ECC-CMS-SharedInfo (RFC 5753 §7.2): keyInfo is the key wrap algorithm,
 * entityUInfo the ukm when one was sent, suppPubInfo the KEK length in bits as
 * a 32-bit big-endian number.
 */
function sharedInfo(ukm: Uint8Array | null): Buffer {
	return seq(aes256WrapAlg(), ...(ukm ? [tlv(0xa0, octetString(ukm))] : []), tlv(0xa2, octetString(Buffer.from([0, 0, 1, 0]))));
}

/** X9.63 KDF (SEC 1 §3.6.1) for one 256-bit block: SHA-256(Z ‖ counter 1 ‖ SharedInfo). */
const kek = (z: Uint8Array, ukm: Uint8Array | null) =>
	createHash('sha256')
		.update(z)
		.update(Buffer.from([0, 0, 0, 1]))
		.update(sharedInfo(ukm))
		.digest();

function pointOf(publicKey: KeyObject): Buffer {
	return publicKey.export({ format: 'der', type: 'spki' }).subarray(P256_SPKI_PREFIX.length);
}

/**
 * RecipientInfo kari ([1] IMPLICIT KeyAgreeRecipientInfo) carrying `cek` to the
 * P-256 certificate: a fresh ephemeral key per message, so no ukm is needed
 * (RFC 5753 §3.1.1 makes it optional).
 */
export function keyAgreeRecipientInfo(certPem: string, cek: Uint8Array): Buffer {
	const cert = certificateIdentity(certPem);
	const recipient = createPublicKey({ key: cert.spki, format: 'der', type: 'spki' });
	if (recipient.asymmetricKeyType !== 'ec' || recipient.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('the ECDH proof-encryption certificate must hold a P-256 key');
	const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
	const wrap = createCipheriv('id-aes256-wrap', kek(z, null), KW_IV);
	const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
	return tlv(
		0xa1,
		int(3),
		// originator [0] EXPLICIT originatorKey [1] IMPLICIT { id-ecPublicKey (parameters absent, RFC 5753 §3.1.1 and as OpenSSL writes), ECPoint }
		tlv(0xa0, tlv(0xa1, seq(oid(OID.ecPublicKey)), bitString(pointOf(ephemeral.publicKey)))),
		seq(oid(OID.ecdhStdSha256Kdf), aes256WrapAlg()),
		seq(seq(seq(cert.issuer, tlv(0x02, cert.serial)), octetString(wrapped)))
	);
}

/** The originator's ephemeral key: id-ecPublicKey (parameters absent, NULL or P-256) and an uncompressed P-256 point. */
function originatorKey(kari: KeyAgreeRecipient): KeyObject {
	const o = kari.originator;
	if (!o) throw new CmsError('decrypt', 'the key agreement names no ephemeral originator key (RFC 5753 §3.1.1: originatorKey)');
	let curve: string | null = null;
	try {
		curve = o.alg.params && o.alg.params.id === TAG.OID ? readOid(o.alg.params, 'namedCurve') : null;
	} catch {
		curve = null;
	}
	if (o.alg.oid !== OID.ecPublicKey || !(absentOrNull(o.alg.params) || curve === OID.p256)) throw new CmsError('decrypt', `the originator key is ${o.alg.oid}, not a P-256 id-ecPublicKey`);
	if (o.publicKey.length !== 65 || o.publicKey[0] !== 0x04) throw new CmsError('decrypt', 'the originator key is not an uncompressed P-256 point');
	try {
		return createPublicKey({ key: Buffer.concat([P256_SPKI_PREFIX, o.publicKey]), format: 'der', type: 'spki' });
	} catch {
		throw new CmsError('decrypt', 'the originator key is not a point on P-256');
	}
}

/** keyEncryptionAlgorithm must be dhSinglePass-stdDH-sha256kdf-scheme with id-aes256-wrap (RFC 5753 §7.1.4, §7.1.5). */
function checkAlgorithm(alg: { oid: string; params: Der | null }): void {
	if (alg.oid === OID.ecdhStdSha1Kdf) throw new CmsError('decrypt', `the key is agreed with the SHA-1 KDF (dhSinglePass-stdDH-sha1kdf-scheme), which this platform refuses: ${ECDH_HINT}`);
	if (alg.oid !== OID.ecdhStdSha256Kdf) throw new CmsError('decrypt', `key agreement ${alg.oid} is not dhSinglePass-stdDH-sha256kdf-scheme: ${ECDH_HINT}`);
	let wrap: string | null = null;
	try {
		if (alg.params) {
			const w = alg.params.children.length ? algorithm(alg.params, 'KeyWrapAlgorithm') : null;
			if (w && w.params === null) wrap = w.oid;
		}
	} catch {
		wrap = null;
	}
	if (wrap !== OID.aes256Wrap) throw new CmsError('decrypt', `the key wrap is not id-aes256-wrap (RFC 3565): ${ECDH_HINT}`);
}

/** The content-encryption key from a kari addressed to the P-256 key `key` (its RecipientEncryptedKey already chosen). */
export function agreeAndUnwrap(kari: KeyAgreeRecipient, encryptedKey: Uint8Array, key: KeyObject): Buffer {
	checkAlgorithm(kari.alg);
	const ephemeral = originatorKey(kari);
	let cek: Buffer;
	try {
		const z = diffieHellman({ privateKey: key, publicKey: ephemeral });
		const unwrap = createDecipheriv('id-aes256-wrap', kek(z, kari.ukm), KW_IV);
		cek = Buffer.concat([unwrap.update(encryptedKey), unwrap.final()]);
	} catch {
		throw new CmsError('decrypt', 'the content-encryption key does not unwrap (ECDH P-256, AES-256 key wrap)');
	}
	if (cek.length !== 32) throw new CmsError('decrypt', 'the content-encryption key is not 256 bits');
	return cek;
}
