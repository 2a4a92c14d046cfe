import { gzipSync } from 'node:zlib';
import { ApiError } from '#lib/server/http/errors';
import { parseTilePath, readEntryBundle, readTile } from '#lib/server/log';
import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/**
 * GET /log/tile/<L>/<N>[.p/<W>] and /log/tile/entries/<N>[.p/<W>] — C2SP
 * tlog-tiles. Immutable once served; entry bundles gzip-compressed when the
 * client accepts it. Outside the REST contract (a path of several segments
 * has no OpenAPI form); GET /log/checkpoint's description documents them.
 */
export const GET: RequestHandler = async (event) => {
	await enforceRateLimit(event, 'log');
	const t = parseTilePath(event.params.path);
	if (!t) throw new ApiError('not_found', 'Not a tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], N in x-prefixed 3-digit groups.');
	const db = event.locals.app.database.db;
	const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' };
	if (t.kind === 'hashes') return new Response(await readTile(db, t.level, t.index, t.width), { headers });
	const bundle = await readEntryBundle(db, t.index, t.width);
	headers.vary = 'accept-encoding';
	if (/\bgzip\b/.test(event.request.headers.get('accept-encoding') ?? '')) return new Response(gzipSync(bundle), { headers: { ...headers, 'content-encoding': 'gzip' } });
	return new Response(bundle, { headers });
};
