import { hash } from 'node:crypto';
import { zGetPublicCertificatePath } from '#lib/api/zod.gen';
import { ApiError } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import { publicCertificate } from '#lib/server/verification';
import type { RequestHandler } from './$types';

/**
 * Shared caches may keep the answer 10 s; then it is revalidated by ETag (RFC
 * 9111 §5.2.2.2, RFC 9110 §13.1.2). Short, because the status changes on
 * revocation (issue 6 §5): a revocation shows everywhere within 10 s.
 */
const CACHE_CONTROL = 'public, max-age=10, must-revalidate';

/** GET /api/v1/public/certificates/{publicId} — status and summary, no internal ids (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const path = zGetPublicCertificatePath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No certificate with this ID.');
	const { config, database } = platform();
	const body = JSON.stringify(await publicCertificate(database, path.data.publicId, config.origin));
	// a strong validator over the exact bytes: status, revocation and checkpoint all change it
	const etag = `"${hash('sha1', body, 'base64url')}"`;
	const headers = { etag, 'cache-control': CACHE_CONTROL };
	if (ifNoneMatch(event.request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
	return new Response(body, { headers: { ...headers, 'content-type': 'application/json' } });
};

/** RFC 9110 §13.1.2: `*` or a list of (weak-compared) entity tags. */
function ifNoneMatch(header: string | null, etag: string): boolean {
	if (!header) return false;
	if (header.trim() === '*') return true;
	return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
