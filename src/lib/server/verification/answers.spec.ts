import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerOf, cachedAnswer } from './answers';

describe('public answer cache', () => {
	it('reuses the bytes while the key is the same and builds anew when it changes', async () => {
		const owner = {};
		let builds = 0;
		const build = (text: string) => async () => {
			builds++;
			return text;
		};
		const first = await cachedAnswer(owner, 'wc_a', 'valid|tree 10', build('{"status":"valid"}'));
		const again = await cachedAnswer(owner, 'wc_a', 'valid|tree 10', build('{"status":"other"}'));
		expect(again).toBe(first);
		expect(builds).toBe(1);
		// a revocation (or a newer checkpoint) changes the key: the next answer is the new one
		const revoked = await cachedAnswer(owner, 'wc_a', 'revoked|tree 10', build('{"status":"revoked"}'));
		expect(revoked.body).toBe('{"status":"revoked"}');
		expect(revoked.etag).not.toBe(first.etag);
		expect(builds).toBe(2);
		// the older key does not bring the older bytes back
		expect((await cachedAnswer(owner, 'wc_a', 'valid|tree 10', build('{"status":"valid"}'))).body).toBe('{"status":"valid"}');
		expect(builds).toBe(3);
	});

	it('keeps answers per owner (database handle)', async () => {
		const a = await cachedAnswer({}, 'wc_a', 'k', async () => 'one');
		const b = await cachedAnswer({}, 'wc_a', 'k', async () => 'two');
		expect([a.body, b.body]).toEqual(['one', 'two']);
	});

	it('does not keep a failed build', async () => {
		const owner = {};
		await expect(cachedAnswer(owner, 'wc_a', 'k', async () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
		expect((await cachedAnswer(owner, 'wc_a', 'k', async () => 'built')).body).toBe('built');
	});

	it('stays bounded: the least recently used answer makes room', async () => {
		const owner = {};
		let builds = 0;
		const get = (id: string) =>
			cachedAnswer(owner, id, 'k', async () => {
				builds++;
				return id;
			});
		for (let i = 0; i < 4096; i++) await get(`wc_${i}`);
		await get('wc_0'); // used again: now the most recent
		await get('wc_new'); // evicts wc_1, the least recently used
		builds = 0;
		await get('wc_0');
		expect(builds).toBe(0);
		await get('wc_1');
		expect(builds).toBe(1);
	});

	it('tags the exact bytes with a strong ETag (SHA-1, base64url, quoted)', () => {
		const body = '{"publicId":"wc_x"}';
		expect(answerOf(body)).toEqual({ body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
	});
});
