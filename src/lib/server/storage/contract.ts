import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from './types';

/**
 * The one contract every ObjectStore passes. `fs.spec.ts` runs it
 * against the filesystem store, `s3.spec.ts` against the S3 store on a real
 * s3rver; a new store joins by calling this with its own factory.
 */
export function objectStoreContract(name: string, store: () => ObjectStore) {
	const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
	const unique = (prefix: string) => `${prefix}/${randomBytes(6).toString('hex')}`;
	const collect = async (s: Readable) => {
		const chunks: Buffer[] = [];
		for await (const c of s) chunks.push(Buffer.from(c as Uint8Array));
		return new Uint8Array(Buffer.concat(chunks));
	};

	describe(`ObjectStore contract: ${name}`, () => {
		it('put, then getBytes, getStream and head return what was stored', async () => {
			const s = store();
			const key = `${unique('tenants/acme/proofs')}.der`;
			const body = new Uint8Array(randomBytes(70_000));
			const stored = await s.put(key, body, { contentType: 'application/pkcs7-mime' });
			expect(stored).toEqual({ key, size: body.byteLength, sha256: sha256(body) });
			expect(Buffer.from((await s.getBytes(key))!).equals(Buffer.from(body))).toBe(true);
			expect(Buffer.from(await collect((await s.getStream(key))!)).equals(Buffer.from(body))).toBe(true);
			expect(await s.head(key)).toEqual({ size: body.byteLength });
		});

		it('stores an empty object', async () => {
			const s = store();
			const key = unique('empty');
			expect(await s.put(key, new Uint8Array())).toMatchObject({ size: 0, sha256: sha256(new Uint8Array()) });
			expect(await s.head(key)).toEqual({ size: 0 });
			expect((await s.getBytes(key))!.byteLength).toBe(0);
		});

		it('an absent key answers null everywhere, and deleting it is no error', async () => {
			const s = store();
			const key = unique('absent');
			expect(await s.getBytes(key)).toBeNull();
			expect(await s.getStream(key)).toBeNull();
			expect(await s.head(key)).toBeNull();
			await expect(s.delete(key)).resolves.toBeUndefined();
		});

		it('overwriting with the same bytes succeeds; with other bytes the last write wins', async () => {
			const s = store();
			const key = unique('overwrite');
			const a = new TextEncoder().encode('first version');
			await s.put(key, a);
			await expect(s.put(key, a)).resolves.toMatchObject({ sha256: sha256(a) });
			const b = new TextEncoder().encode('second, longer version');
			await s.put(key, b);
			expect(new TextDecoder().decode((await s.getBytes(key))!)).toBe('second, longer version');
			expect(await s.head(key)).toEqual({ size: b.byteLength });
		});

		it('delete removes the object', async () => {
			const s = store();
			const key = unique('delete');
			await s.put(key, new Uint8Array([1, 2, 3]));
			await s.delete(key);
			expect(await s.head(key)).toBeNull();
			expect(await s.getBytes(key)).toBeNull();
		});

		it('putStream stores a multi-chunk upload of unknown length with its size and SHA-256', async () => {
			const s = store();
			const key = `${unique('bulk')}.zip`;
			// 12 MiB: more than one part of a multipart upload (S3 parts are at least 5 MiB)
			const chunks = Array.from({ length: 192 }, () => randomBytes(64 * 1024));
			const whole = Buffer.concat(chunks);
			const stored = await s.putStream(key, Readable.from(chunks), { contentType: 'application/zip' });
			expect(stored).toEqual({ key, size: whole.length, sha256: sha256(whole) });
			expect(await s.head(key)).toEqual({ size: whole.length });
			expect(sha256(await collect((await s.getStream(key))!))).toBe(sha256(whole));
		});

		it('a putStream whose source fails rejects and leaves nothing under the key (small or multipart)', async () => {
			const s = store();
			for (const chunks of [2, 160]) {
				const key = unique('broken');
				async function* failing() {
					for (let i = 0; i < chunks; i++) yield randomBytes(64 * 1024);
					throw new Error('client went away');
				}
				await expect(s.putStream(key, Readable.from(failing()))).rejects.toThrow('client went away');
				expect(await s.head(key)).toBeNull();
				expect(await s.getBytes(key)).toBeNull();
			}
		});

		it('refuses keys outside the key grammar (no traversal, no absolute paths)', async () => {
			const s = store();
			const body = new Uint8Array([1]);
			for (const bad of ['../etc/passwd', '/abs/key', 'a/../b', 'Upper/Case', 'a//b', '', 'trailing/', 'sp ace', 'x'.repeat(513)]) {
				await expect(s.put(bad, body), bad).rejects.toThrow(/invalid object key/);
				await expect(s.getBytes(bad), bad).rejects.toThrow(/invalid object key/);
				await expect(s.head(bad), bad).rejects.toThrow(/invalid object key/);
				await expect(s.delete(bad), bad).rejects.toThrow(/invalid object key/);
				await expect(s.putStream(bad, Readable.from([Buffer.from('x')])), bad).rejects.toThrow(/invalid object key/);
			}
		});

		it('ping answers while the store is usable', async () => {
			await expect(store().ping()).resolves.toBeUndefined();
		});
	});
}
