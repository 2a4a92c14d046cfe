/**
 * RFC 5083 AuthEnvelopedData with AES-256-GCM (RFC 5084 §3): the standard
 * envelope for authenticated encryption in CMS, and what `openssl cms -encrypt
 * -aes-256-gcm` writes (OpenSSL 3.0 and later):
 *
 *   AuthEnvelopedData ::= SEQUENCE {
 *     version CMSVersion,                            -- 0
 *     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *     recipientInfos RecipientInfos,
 *     authEncryptedContentInfo EncryptedContentInfo, -- ciphertext only
 *     authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
 *     mac MessageAuthenticationCode,                 -- the GCM tag
 *     unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
 *
 * Unlike the proof format's first form (AES-GCM inside EnvelopedData, tag
 * appended to the ciphertext), the tag has its own field. This module writes
 * it (the agent side); cms-envelope.ts and cms-decrypt.ts read it.
 */
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { keyAgreeRecipientInfo } from './cms-ecdh';
import { certificateIdentity } from './cms-envelope';
import { int, octetString, oid, seq, set, tlv } from './der-write';
import { OID } from './pki';

/** RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1), written as OpenSSL writes it (hash AlgorithmIdentifiers without NULL). */
const oaepSha256 = () => seq(oid(OID.rsaesOaep), seq(tlv(0xa0, seq(oid(OID.sha256))), tlv(0xa1, seq(oid(OID.mgf1), seq(oid(OID.sha256))))));

/**
 * The RecipientInfo for the certificate's key: KeyTransRecipientInfo with
 * RSAES-OAEP SHA-256 for an RSA key (RFC 5652 §6.2.1), KeyAgreeRecipientInfo
 * with ephemeral-static ECDH for a P-256 key (RFC 5753, cms-ecdh.ts).
 */
export function recipientInfoFor(recipientCertPem: string, cek: Uint8Array): Buffer {
	const cert = certificateIdentity(recipientCertPem);
	const publicKey = createPublicKey({ key: cert.spki, format: 'der', type: 'spki' });
	if (publicKey.asymmetricKeyType === 'ec') return keyAgreeRecipientInfo(recipientCertPem, cek);
	if (publicKey.asymmetricKeyType !== 'rsa') throw new Error('the proof-encryption certificate must hold an RSA or a P-256 key');
	const encryptedKey = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
	return seq(int(0), seq(cert.issuer, tlv(0x02, cert.serial)), oaepSha256(), octetString(encryptedKey));
}

/**
 * ContentInfo(AuthEnvelopedData) of `content` (type id-data, so no authenticated
 * attributes are needed, RFC 5083 §2.1) to one recipient certificate (RSA or
 * P-256): AES-256-GCM with a 12-byte nonce and a 16-byte tag.
 */
export function buildAuthEnvelopedData(content: Uint8Array, recipientCertPem: string): Buffer {
	const cek = randomBytes(32);
	const recipient = recipientInfoFor(recipientCertPem, cek);
	const nonce = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', cek, nonce, { authTagLength: 16 });
	const ciphertext = Buffer.concat([cipher.update(content), cipher.final()]);
	const eci = seq(oid(OID.data), seq(oid(OID.aes256Gcm), seq(octetString(nonce), int(16))), tlv(0x80, ciphertext));
	const authEnveloped = seq(int(0), set(recipient), eci, octetString(cipher.getAuthTag()));
	return seq(oid(OID.authEnvelopedData), tlv(0xa0, authEnveloped));
}
