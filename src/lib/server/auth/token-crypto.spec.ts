import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptToken, encryptToken, parseTokenKeys } from './token-crypto';

const key = () => randomBytes(32).toString('base64');

describe('token encryption (AES-256-GCM with key ids)', () => {
	it('round-trips, with a fresh IV each time', () => {
		const ring = parseTokenKeys(`k1:${key()}`);
		const a = encryptToken(ring, 'secret-token', 'sess:access');
		const b = encryptToken(ring, 'secret-token', 'sess:access');
		expect(a.keyId).toBe('k1');
		expect(a.data.equals(b.data)).toBe(false);
		expect(decryptToken(ring, a.keyId, a.data, 'sess:access')).toBe('secret-token');
		expect(a.data.includes(Buffer.from('secret-token'))).toBe(false);
	});

	it('rotation: the first key encrypts, every listed key decrypts, a removed key fails loudly', () => {
		const k1 = key();
		const old = parseTokenKeys(`k1:${k1}`);
		const sealed = encryptToken(old, 'tok', 'aad');
		const rotated = parseTokenKeys(`k2:${key()},k1:${k1}`);
		expect(decryptToken(rotated, 'k1', sealed.data, 'aad')).toBe('tok');
		expect(encryptToken(rotated, 'tok', 'aad').keyId).toBe('k2');
		const retired = parseTokenKeys(`k2:${key()}`);
		expect(() => decryptToken(retired, 'k1', sealed.data, 'aad')).toThrow(/no longer lists/);
	});

	it('refuses a changed ciphertext, tag or associated data (token moved to another session)', () => {
		const ring = parseTokenKeys(`k1:${key()}`);
		const { data } = encryptToken(ring, 'tok', 'session-a:refresh');
		expect(() => decryptToken(ring, 'k1', data, 'session-b:refresh')).toThrow();
		const flipped = Buffer.from(data);
		flipped[14] ^= 1;
		expect(() => decryptToken(ring, 'k1', flipped, 'session-a:refresh')).toThrow();
		expect(() => decryptToken(ring, 'k1', data.subarray(0, 20), 'session-a:refresh')).toThrow();
	});

	it('rejects malformed key lists', () => {
		expect(() => parseTokenKeys('k1:c2hvcnQ=')).toThrow(/32 bytes/);
		const k = key();
		expect(() => parseTokenKeys(`k1:${k},k1:${k}`)).toThrow(/twice/);
	});
});
