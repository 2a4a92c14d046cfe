/**
 * Live updates for dashboard pages: one EventSource on
 * `GET /api/v1/events` per page. The browser reconnects by itself and sends
 * Last-Event-ID, so the server replays what was missed (WHATWG HTML §9.2);
 * when the stream is refused or closed for good (EventSource readyState
 * CLOSED), we open a new one with backoff and tell the page to reload its
 * data (`onResync`), since a fresh stream cannot replay.
 */
import { z } from 'zod';

const proofStatusEvent = z.object({
	items: z.array(z.object({ publicId: z.string(), status: z.string(), code: z.string().optional() }))
});
export type ProofStatusChange = z.infer<typeof proofStatusEvent>['items'][number];

export type LiveOptions = {
	/** proof state changes, parsed (untrusted JSON goes through zod) */
	onProofs?: (items: ProofStatusChange[]) => void;
	/** any event, raw */
	onEvent?: (type: string, data: unknown) => void;
	/** the stream restarted without replay: reload what the page shows */
	onResync?: () => void;
	url?: string;
};

export class LiveEvents {
	/** 'connecting' | 'open' | 'offline' — for a small status indicator */
	state = $state<'connecting' | 'open' | 'offline'>('connecting');
	/** events received since the page opened */
	received = $state(0);
	private source: EventSource | null = null;
	private retryTimer: ReturnType<typeof setTimeout> | undefined;
	private attempts = 0;
	private closed = false;

	constructor(private readonly opts: LiveOptions) {}

	start(): () => void {
		this.open();
		return () => this.stop();
	}

	private open() {
		if (this.closed) return;
		const source = new EventSource(this.opts.url ?? '/api/v1/events');
		this.source = source;
		this.state = 'connecting';
		source.onopen = () => {
			const resumed = this.attempts > 0;
			this.attempts = 0;
			this.state = 'open';
			if (resumed) this.opts.onResync?.();
		};
		source.onerror = () => {
			if (source.readyState === EventSource.CLOSED) {
				// Refused (401/5xx) or closed for good: the browser will not retry; we do, with backoff.
				this.state = 'offline';
				source.close();
				this.attempts++;
				this.retryTimer = setTimeout(() => this.open(), Math.min(30_000, 1000 * 2 ** Math.min(this.attempts, 5)));
			} else this.state = 'connecting';
		};
		source.addEventListener('proofs.status', (e) => this.handle('proofs.status', e));
		source.addEventListener('deliveries.status', (e) => this.handle('deliveries.status', e));
		source.onmessage = (e) => this.handle('message', e);
	}

	private handle(type: string, e: MessageEvent) {
		this.received++;
		let data: unknown = null;
		try {
			data = JSON.parse(String(e.data));
		} catch {
			return;
		}
		this.opts.onEvent?.(type, data);
		if (type === 'proofs.status') {
			const parsed = proofStatusEvent.safeParse(data);
			if (parsed.success) this.opts.onProofs?.(parsed.data.items);
		}
	}

	stop() {
		this.closed = true;
		clearTimeout(this.retryTimer);
		this.source?.close();
		this.source = null;
	}
}

/** Calls `fn` at most once per `ms`, after the last call (for reloading lists on bursts of events). */
export function debounce(fn: () => void, ms = 400): () => void {
	let t: ReturnType<typeof setTimeout> | undefined;
	return () => {
		clearTimeout(t);
		t = setTimeout(fn, ms);
	};
}
