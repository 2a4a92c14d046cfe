import { json } from '@sveltejs/kit';
import { zGetLogConsistencyProofQuery } from '#lib/api/zod.gen';
import { parseQuery } from '#lib/server/http/query';
import { consistencyProof } from '#lib/server/log';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/** GET /api/v1/log/proofs/consistency?first=&second= — RFC 9162 §2.1.4 (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const q = parseQuery(event.url, zGetLogConsistencyProofQuery, ['first', 'second']);
	return json(await consistencyProof(platform().database.db, q.first, q.second), { headers: { 'cache-control': 'public, max-age=31536000, immutable' } });
};
