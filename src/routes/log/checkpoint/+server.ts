import { ApiError } from '#lib/server/http/errors';
import { recentCheckpoint } from '#lib/server/log';
import { operation } from '#lib/server/route';

/** GET /log/checkpoint — C2SP tlog-tiles: the newest checkpoint as a signed note, with the witnesses' cosignatures. */
export const GET = operation('getLogTilesCheckpoint', async ({ app }) => {
	const cp = await recentCheckpoint(app.database.db);
	if (!cp) throw new ApiError('not_found', 'The log is empty.');
	// mutable: tlog-tiles asks that it is not cached beyond a few seconds
	return new Response(cp.note, { headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=5' } });
});
