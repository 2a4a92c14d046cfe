import { json } from '@sveltejs/kit';
import { zGetLogInclusionProofQuery } from '#lib/api/zod.gen';
import { ApiError } from '#lib/server/http/errors';
import { parseQuery } from '#lib/server/http/query';
import { inclusionProofFor } from '#lib/server/log';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/** GET /api/v1/log/proofs/inclusion?index=|leafHash=[&treeSize=] — RFC 9162 audit path (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const q = parseQuery(event.url, zGetLogInclusionProofQuery, ['index', 'treeSize']);
	if ((q.index === undefined) === (q.leafHash === undefined)) throw new ApiError('bad_request', 'Give exactly one of index and leafHash.');
	return json(await inclusionProofFor(platform().database.db, q));
};
