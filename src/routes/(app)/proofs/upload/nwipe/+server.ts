import { json } from '@sveltejs/kit';
import { importNwipeLogs } from '#lib/api/sdk.gen';
import { signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { RequestHandler } from './$types';

/** undici needs `duplex: 'half'` for a stream request body (Fetch §5.3); the DOM RequestInit type does not list it yet. */
const HALF_DUPLEX = { duplex: 'half' } as const;

/**
 * The upload page's relay for nwipe logs (backend-for-frontend): the browser
 * posts the multipart form here (same origin, session cookie, upload
 * progress) and it is streamed on, unread, to `POST /api/v1/proofs/nwipe-logs`
 * through the generated client. The API's answer or error envelope comes back as it is.
 */
export const POST: RequestHandler = async (event) => {
	signInFirst(event);
	const key = event.request.headers.get('idempotency-key');
	const stream = event.request.body;
	const r = await importNwipeLogs({
		client: api(event),
		body: { log: [], attest: 'true' },
		bodySerializer: () => stream,
		...HALF_DUPLEX,
		headers: { 'content-type': event.request.headers.get('content-type') ?? '', ...(key ? { 'Idempotency-Key': key } : {}) }
	});
	return json(r.data ?? r.error, { status: r.response?.status ?? 502 });
};
