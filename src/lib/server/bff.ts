import { createHash, randomUUID } from 'node:crypto';
import type { RequestEvent } from '@sveltejs/kit';
import { createClient } from '#lib/api/client';
import { getLocale } from '#lib/paraglide/runtime';

/**
 * The generated HeyAPI client bound to this request: Kit's `event.fetch`
 * calls our own API routes in-process and forwards the session cookie, so
 * pages never hold a token (backend-for-frontend). The API answers errors
 * in the page's language (Accept-Language), so a form shows them as they are.
 */
export function api(event: Pick<RequestEvent, 'fetch' | 'url'>) {
	return createClient({ baseUrl: event.url.origin, fetch: event.fetch, headers: { 'accept-language': getLocale() } });
}

/** The hidden field every POST form carries (FormKey.svelte), rendered by the root layout's load. */
export const FORM_KEY_FIELD = 'idempotencyKey';
const FORM_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A new key for the forms of a page: one per load, so one per time the page was shown. */
export const newFormKey = (): string => randomUUID();

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The client for a form action: every mutation it sends carries an
 * Idempotency-Key made of the key the page rendered into the form, the
 * action's name and the form's fields, so a double-clicked button (the same
 * form, sent twice before the page reloads) makes one change, while two
 * different forms of one page, or the same form sent again after the page
 * showed its result, are separate requests. A form without a usable key (a
 * page kept open across a deploy) just sends no key.
 */
export function formApi(event: Pick<RequestEvent, 'fetch' | 'url'>, form: FormData) {
	const client = api(event);
	const rendered = form.get(FORM_KEY_FIELD);
	if (typeof rendered !== 'string' || !FORM_KEY.test(rendered)) return client;
	const action = [...event.url.searchParams.keys()].find((k) => k.startsWith('/'))?.slice(1) || 'default';
	const fields = createHash('sha256');
	for (const [name, value] of form) {
		if (name === FORM_KEY_FIELD) continue;
		fields.update(`${name.length}:${name}=`);
		fields.update(typeof value === 'string' ? `s${value.length}:${value}` : `f${value.size}:${value.name}:${value.type}`);
	}
	const base = `form:${rendered}:${action.slice(0, 64)}:${fields.digest('hex').slice(0, 24)}`;
	let n = 0;
	client.interceptors.request.use((request) => {
		// an action that sends several mutations gives each its own key, the same ones on a resubmit
		if (MUTATIONS.has(request.method) && !request.headers.has('idempotency-key')) request.headers.set('Idempotency-Key', `${base}:${n++}`);
		return request;
	});
	return client;
}
