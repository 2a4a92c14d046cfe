import { json } from '@sveltejs/kit';
import { zGetLogCheckpointQuery } from '#lib/api/zod.gen';
import { ApiError } from '#lib/server/http/errors';
import { parseQuery } from '#lib/server/http/query';
import { checkpointAt, latestCheckpoint } from '#lib/server/log';
import { platform } from '#lib/server/platform';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/** GET /api/v1/log/checkpoint[?treeSize=] — a signed C2SP checkpoint (public, rate limited). */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'verify');
	const q = parseQuery(event.url, zGetLogCheckpointQuery, ['treeSize']);
	const db = platform().database.db;
	const cp = q.treeSize ? await checkpointAt(db, q.treeSize) : await latestCheckpoint(db);
	if (!cp) throw new ApiError('not_found', q.treeSize ? `The log published no checkpoint of size ${q.treeSize}.` : 'The log is empty.');
	return json(cp, { headers: { 'cache-control': q.treeSize ? 'public, max-age=31536000, immutable' : 'no-cache' } });
};
