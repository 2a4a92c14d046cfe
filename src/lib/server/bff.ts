import type { RequestEvent } from '@sveltejs/kit';
import { createClient } from '#lib/api/client';

/**
 * The generated HeyAPI client bound to this request: Kit's `event.fetch`
 * calls our own API routes in-process and forwards the session cookie, so
 * pages never hold a token (backend-for-frontend).
 */
export function api(event: Pick<RequestEvent, 'fetch' | 'url'>) {
	return createClient({ baseUrl: event.url.origin, fetch: event.fetch });
}
