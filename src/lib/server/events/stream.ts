import type { Db } from '#lib/server/db/client';
import { eventsSince, startCursor, type EventHub } from './index';

const encoder = new TextEncoder();
const HEARTBEAT_MS = 15_000;

/** How soon to read again while committed events wait behind an older running transaction. */
const PENDING_RETRY_MS = 200;
const PAGE = 500;

/**
 * A server-sent event stream of one tenant's events. Starts after
 * `lastEventId` (the browser's Last-Event-ID on reconnect) or, for a fresh
 * stream, after what is already deliverable; every NOTIFY triggers a read of
 * what is new (eventsSince: committed events in transaction order, none skipped
 * even when a lower id commits later), and so does a short timer while events
 * wait behind an older running transaction.
 */
export async function openEventStream(opts: { db: Db; hub: EventHub; tenantId: string; lastEventId: number | null; signal: AbortSignal }) {
	let cursor = await startCursor(opts.db, opts.tenantId, opts.lastEventId);
	let unsubscribe: (() => void) | undefined;
	let heartbeat: NodeJS.Timeout | undefined;
	let retry: NodeJS.Timeout | undefined;
	let draining = Promise.resolve();
	let stopped = false;
	const stop = () => {
		stopped = true;
		unsubscribe?.();
		clearInterval(heartbeat);
		clearTimeout(retry);
	};

	return new ReadableStream<Uint8Array>({
		start: async (controller) => {
			const close = () => {
				stop();
				try {
					controller.close();
				} catch {
					// already closed by the client
				}
			};
			const drain = () =>
				(draining = draining.then(async () => {
					if (opts.signal.aborted) return;
					try {
						for (;;) {
							const { events, pending } = await eventsSince(opts.db, opts.tenantId, cursor, PAGE);
							for (const e of events) {
								cursor = { ...cursor, xid: e.xid, id: e.id };
								controller.enqueue(encoder.encode(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`));
							}
							if (pending && !retry && !opts.signal.aborted)
								retry = setTimeout(() => {
									retry = undefined;
									void drain();
								}, PENDING_RETRY_MS);
							if (pending || events.length < PAGE) break;
						}
					} catch (error) {
						// The browser reconnects with Last-Event-ID and misses nothing.
						stop();
						try {
							controller.error(error);
						} catch {
							// the client went away first: nothing left to tell
						}
					}
				}));
			opts.signal.addEventListener('abort', close, { once: true });
			// Tell the browser how long to wait before reconnecting.
			controller.enqueue(encoder.encode(`retry: 3000\n: connected\n\n`));
			unsubscribe = await opts.hub.subscribe(opts.tenantId, () => void drain());
			// The client may have gone while we subscribed: a timer started now would write to a closed
			// stream from outside any request (the fuzz suite saw it logged as an uncaught exception).
			if (stopped) return stop();
			heartbeat = setInterval(() => {
				try {
					controller.enqueue(encoder.encode(`: keep-alive\n\n`));
				} catch {
					stop();
				}
			}, HEARTBEAT_MS);
			await drain();
		},
		cancel: stop
	});
}
