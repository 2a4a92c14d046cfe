import { json } from '@sveltejs/kit';
import { submitProofsBulk } from '#lib/api/sdk.gen';
import { signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { RequestHandler } from './$types';

/** undici needs `duplex: 'half'` for a stream request body (Fetch §5.3); the DOM RequestInit type does not list it yet. */
const HALF_DUPLEX = { duplex: 'half' } as const;

/**
 * The bulk upload page's relay (backend-for-frontend): the
 * browser's XMLHttpRequest posts here (same origin, session cookie; its upload
 * progress events drive the progress bars) and the body is streamed on,
 * unread and unbuffered, to `POST /api/v1/proofs/bulk` through the generated
 * client (which spools it to disk). The API's answer or error envelope comes
 * back as it is.
 */
export const POST: RequestHandler = async (event) => {
	signInFirst(event);
	const type = event.request.headers.get('content-type') ?? '';
	const key = event.request.headers.get('idempotency-key');
	const stream = event.request.body;
	const r = await submitProofsBulk({
		client: api(event),
		body: {},
		bodySerializer: () => stream,
		...HALF_DUPLEX,
		headers: { 'content-type': type, ...(key ? { 'Idempotency-Key': key } : {}) }
	});
	return json(r.data ?? r.error, { status: r.response?.status ?? 502 });
};
