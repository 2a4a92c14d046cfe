/**
 * Public answers as bytes with their ETag, kept for the hot case: the same
 * certificate asked again and again (a QR code on a device being resold, a
 * monitor polling, the verify page and its JSON). An answer is reused only
 * while its key — everything the bytes were built from that can change — is
 * the same; the caller reads that key fresh on every request, so the cache
 * never makes an answer older than building it anew would.
 */
import { hash } from 'node:crypto';

export type PublicAnswer = { body: string; etag: string };

/** Answers kept per database handle (a process has one; tests may open several): a few MB at most. */
const MAX_ENTRIES = 4096;

type Entry = { key: string; answer: PublicAnswer };
const caches = new WeakMap<object, Map<string, Entry>>();

/** A strong validator over the exact bytes (RFC 9110 §8.8.3). */
export const answerOf = (body: string): PublicAnswer => ({ body, etag: `"${hash('sha1', body, 'base64url')}"` });

/**
 * The answer cached for `id` under `key`, or `build()`'s, which then replaces
 * it (the least recently used answer makes room when the cache is full).
 */
export async function cachedAnswer(owner: object, id: string, key: string, build: () => Promise<string>): Promise<PublicAnswer> {
	let cache = caches.get(owner);
	if (!cache) caches.set(owner, (cache = new Map()));
	const hit = cache.get(id);
	if (hit && hit.key === key) {
		// most recently used last: eviction takes the first
		cache.delete(id);
		cache.set(id, hit);
		return hit.answer;
	}
	const answer = answerOf(await build());
	cache.delete(id);
	if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
	cache.set(id, { key, answer });
	return answer;
}
