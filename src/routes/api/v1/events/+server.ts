import { zStreamEventsHeaders } from '#lib/api/zod.gen';
import { openEventStream } from '#lib/server/events/stream';
import { ApiError } from '#lib/server/http/errors';
import { operation } from '#lib/server/route';

/**
 * GET /api/v1/events — the caller's tenant's live events as server-sent events.
 * `Last-Event-ID` (sent by EventSource on reconnect) replays what came after
 * it; the stream ends when the client goes away.
 */
export const GET = operation('streamEvents', async ({ app, event, tenantId }) => {
	const headers = zStreamEventsHeaders.safeParse({ 'Last-Event-ID': event.request.headers.get('last-event-id') ?? undefined });
	if (!headers.success) throw new ApiError('validation_failed', undefined, [{ field: 'Last-Event-ID', problem: 'must be an event id' }]);
	const last = headers.data['Last-Event-ID'];
	const stream = await openEventStream({
		db: app.database.db,
		hub: app.events,
		tenantId,
		lastEventId: last === undefined ? null : Number(last),
		signal: event.request.signal
	});
	return new Response(stream, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-cache, no-transform',
			// nginx and similar proxies would otherwise buffer the stream
			'x-accel-buffering': 'no'
		}
	});
});
