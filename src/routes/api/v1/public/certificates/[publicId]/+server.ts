import { operation } from '#lib/server/route';
import { publicCertificateAnswer } from '#lib/server/verification';

/**
 * Shared caches may keep the answer 10 s; then it is revalidated by ETag (RFC
 * 9111 §5.2.2.2, RFC 9110 §13.1.2). Short, because the status changes on
 * revocation: a revocation shows everywhere within 10 s.
 */
const CACHE_CONTROL = 'public, max-age=10, must-revalidate';

/** GET /api/v1/public/certificates/{publicId} — status and summary, no internal ids. */
export const GET = operation(
	'getPublicCertificate',
	async ({ app, event, params }) => {
		// the bytes and their strong validator: status, revocation and checkpoint all change it
		const { body, etag } = await publicCertificateAnswer(app.database, params.publicId, { origin: app.config.origin, explorerTxUrl: app.config.CHAIN_EXPLORER_TX_URL });
		const headers = { etag, 'cache-control': CACHE_CONTROL };
		if (ifNoneMatch(event.request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
		return new Response(body, { headers: { ...headers, 'content-type': 'application/json' } });
	},
	{ notFound: 'No certificate with this ID.' }
);

/** RFC 9110 §13.1.2: `*` or a list of (weak-compared) entity tags. */
function ifNoneMatch(header: string | null, etag: string): boolean {
	if (!header) return false;
	if (header.trim() === '*') return true;
	return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
