import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for the IdP tokens kept server-side. Keys come
 * from TOKEN_ENCRYPTION_KEYS (`kid:base64(32 bytes)`, comma-separated): the
 * first encrypts, every listed key decrypts, so a key can rotate without
 * signing anyone out (handbook: auth/rotate-token-key).
 *
 * Stored form: iv (12 bytes, NIST SP 800-38D §8.2.2 random IV) ‖ ciphertext ‖
 * tag (16 bytes). The associated data binds a ciphertext to its row and field,
 * so a token cannot be moved to another session by editing the table.
 */
export type TokenKeyring = { current: string; keys: Map<string, Buffer> };

export function parseTokenKeys(spec: string): TokenKeyring {
	const keys = new Map<string, Buffer>();
	let current: string | undefined;
	for (const part of spec.split(',')) {
		const i = part.indexOf(':');
		const kid = part.slice(0, i);
		const key = Buffer.from(part.slice(i + 1), 'base64');
		if (i < 1 || key.length !== 32) throw new Error(`TOKEN_ENCRYPTION_KEYS: key "${kid || '?'}" must be kid:base64(32 bytes)`);
		if (keys.has(kid)) throw new Error(`TOKEN_ENCRYPTION_KEYS: key id "${kid}" is listed twice`);
		keys.set(kid, key);
		current ??= kid;
	}
	if (!current) throw new Error('TOKEN_ENCRYPTION_KEYS is empty');
	return { current, keys };
}

export function encryptToken(ring: TokenKeyring, plaintext: string, aad: string): { keyId: string; data: Buffer } {
	const key = ring.keys.get(ring.current)!;
	const iv = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', key, iv);
	cipher.setAAD(Buffer.from(aad, 'utf8'));
	const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
	return { keyId: ring.current, data: Buffer.concat([iv, ct, cipher.getAuthTag()]) };
}

/** Throws when the key id is unknown or the ciphertext, tag or associated data do not match. */
export function decryptToken(ring: TokenKeyring, keyId: string, data: Buffer, aad: string): string {
	const key = ring.keys.get(keyId);
	if (!key) throw new Error(`token encrypted under key "${keyId}", which TOKEN_ENCRYPTION_KEYS no longer lists`);
	if (data.length < 12 + 16) throw new Error('token ciphertext too short');
	const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
	decipher.setAAD(Buffer.from(aad, 'utf8'));
	decipher.setAuthTag(data.subarray(data.length - 16));
	return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
}

/**
 * The same keys for another module's short secrets (webhook signing secrets):
 * sealed under the current key, opened under any listed one, bound to `aad`.
 */
export function secretBox(spec: string): { seal(plaintext: string, aad: string): { keyId: string; data: Buffer }; open(keyId: string, data: Buffer, aad: string): string } {
	const ring = parseTokenKeys(spec);
	return { seal: (plaintext, aad) => encryptToken(ring, plaintext, aad), open: (keyId, data, aad) => decryptToken(ring, keyId, data, aad) };
}
