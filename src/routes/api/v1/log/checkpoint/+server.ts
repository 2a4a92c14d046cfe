import { json } from '@sveltejs/kit';
import { ApiError } from '#lib/server/http/errors';
import { checkpointAt, latestCheckpoint } from '#lib/server/log';
import { operation } from '#lib/server/route';

/** GET /api/v1/log/checkpoint[?treeSize=] — a signed C2SP checkpoint. */
export const GET = operation('getLogCheckpoint', async ({ app, query }) => {
	const db = app.database.db;
	const cp = query.treeSize ? await checkpointAt(db, query.treeSize) : await latestCheckpoint(db);
	if (!cp) throw new ApiError('not_found', query.treeSize ? `The log published no checkpoint of size ${query.treeSize}.` : 'The log is empty.');
	return json(cp, { headers: { 'cache-control': query.treeSize ? 'public, max-age=31536000, immutable' : 'no-cache' } });
});
