import type { Db } from '#lib/server/db/client';
import { platform } from '#lib/server/platform';
import { EventHub, eventsSince, latestEventId } from './index';

let hub: EventHub | undefined;

/** The process's event hub, on the platform's pool. */
export function eventHub(): EventHub {
	const p = platform();
	hub ??= new EventHub(p.database.sql, p.log);
	return hub;
}

const encoder = new TextEncoder();
const HEARTBEAT_MS = 15_000;

/**
 * A server-sent event stream of one tenant's events. Starts after
 * `lastEventId` (the browser's Last-Event-ID on reconnect) or, for a fresh
 * stream, after the newest event; every NOTIFY triggers a read of what is new,
 * so events arrive in order and none is skipped even when notifications merge.
 */
export async function openEventStream(opts: { db: Db; hub: EventHub; tenantId: string; lastEventId: number | null; signal: AbortSignal }) {
	let cursor = opts.lastEventId ?? (await latestEventId(opts.db, opts.tenantId));
	let unsubscribe: (() => void) | undefined;
	let heartbeat: NodeJS.Timeout | undefined;
	let draining = Promise.resolve();

	return new ReadableStream<Uint8Array>({
		start: async (controller) => {
			const close = () => {
				unsubscribe?.();
				clearInterval(heartbeat);
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
						for (const e of await eventsSince(opts.db, opts.tenantId, cursor)) {
							cursor = e.id;
							controller.enqueue(encoder.encode(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`));
						}
					} catch (error) {
						// The browser reconnects with Last-Event-ID and misses nothing.
						unsubscribe?.();
						clearInterval(heartbeat);
						controller.error(error);
					}
				}));
			opts.signal.addEventListener('abort', close, { once: true });
			// Tell the browser how long to wait before reconnecting.
			controller.enqueue(encoder.encode(`retry: 3000\n: connected\n\n`));
			unsubscribe = await opts.hub.subscribe(opts.tenantId, () => void drain());
			heartbeat = setInterval(() => controller.enqueue(encoder.encode(`: keep-alive\n\n`)), HEARTBEAT_MS);
			await drain();
		},
		cancel: () => {
			unsubscribe?.();
			clearInterval(heartbeat);
		}
	});
}
