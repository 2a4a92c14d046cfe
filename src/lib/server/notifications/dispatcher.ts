import type { Db } from '#lib/server/db/client';
import type { Logger } from '#lib/server/telemetry/logger';
import { claimDue, recordAttempts, type Claimed, type DispatchSettings, type SendOutcome } from './dispatch';
import { WAKE_CHANNEL } from './outbox';

export type Send = (delivery: Claimed) => Promise<SendOutcome>;
export type Listen = (channel: string, onNotify: () => void) => Promise<{ unlisten(): Promise<void> }>;

export type DispatcherDeps = {
	db: Db;
	/** LISTEN on a dedicated connection (postgres.js `sql.listen`) */
	listen: Listen;
	log: Logger;
	workerId: string;
	concurrency: number;
	settings: DispatchSettings;
	send: Send;
	/** how often to look for due retries when nothing wakes the worker */
	pollMs?: number;
};

/**
 * The notifications worker's loop: claims due deliveries (as many as it has
 * free slots, up to NOTIFY_CONCURRENCY), sends each, records the attempt.
 * It drains what is due at once when it starts, wakes on the outbox's NOTIFY
 * (a delivery committed) and whenever a slot frees, and polls every second
 * for retries coming due. `stop()` claims nothing more and waits for the
 * attempts in flight, so a graceful stop sends nothing twice; a crash leaves
 * the claims to run out (NOTIFY_SEND_TIMEOUT + 5 s) and the next worker sends
 * again with the same webhook-id.
 */
export class Dispatcher {
	private stopping = false;
	private loop: Promise<void> | undefined;
	private inflight = new Set<Promise<void>>();
	private wakeUp: (() => void) | undefined;
	private woken = false;
	private subscription: { unlisten(): Promise<void> } | undefined;
	/** attempts recorded by this process, by outcome (for logs and benchmarks) */
	readonly counts = { sent: 0, failed: 0, skipped: 0 };

	constructor(private readonly deps: DispatcherDeps) {}

	async start(): Promise<void> {
		this.subscription = await this.deps.listen(WAKE_CHANNEL, () => this.wake());
		this.loop = this.run();
	}

	/** One pass for WORKER_ONCE: everything due now is sent; returns how many attempts were made. */
	async drainOnce(): Promise<number> {
		let total = 0;
		for (;;) {
			const batch = await claimDue(this.deps.db, this.deps.workerId, this.deps.concurrency, this.deps.settings.leaseMs);
			if (!batch.length) return total;
			total += batch.length;
			await Promise.all(batch.map((c) => this.process(c)));
		}
	}

	async stop(): Promise<void> {
		this.stopping = true;
		this.wake();
		await this.loop;
		await Promise.all(this.inflight);
		await this.subscription?.unlisten().catch((error: unknown) => this.deps.log.warn({ err: error }, 'UNLISTEN failed'));
	}

	private wake() {
		this.woken = true;
		this.wakeUp?.();
	}

	private sleep(ms: number): Promise<void> {
		if (this.woken) {
			this.woken = false;
			return Promise.resolve();
		}
		return new Promise((resolve) => {
			const finish = () => {
				clearTimeout(timer);
				if (this.wakeUp === finish) this.wakeUp = undefined;
				this.woken = false;
				resolve();
			};
			const timer = setTimeout(finish, ms);
			this.wakeUp = finish;
		});
	}

	private async run(): Promise<void> {
		const pollMs = this.deps.pollMs ?? 1000;
		let failures = 0;
		while (!this.stopping) {
			const free = this.deps.concurrency - this.inflight.size;
			if (free > 0) {
				try {
					const batch = await claimDue(this.deps.db, this.deps.workerId, free, this.deps.settings.leaseMs);
					failures = 0;
					for (const c of batch) {
						const p = this.process(c).finally(() => {
							this.inflight.delete(p);
							this.wake();
						});
						this.inflight.add(p);
					}
					if (batch.length === free) continue;
				} catch (error) {
					failures++;
					this.deps.log.error({ err: error, queue: 'notifications', worker: this.deps.workerId }, 'claiming deliveries failed');
					await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(failures, 6))));
					continue;
				}
			}
			await this.sleep(pollMs);
		}
	}

	private async process(c: Claimed): Promise<void> {
		let outcome: SendOutcome;
		try {
			outcome = await this.deps.send(c);
		} catch (error) {
			outcome = { kind: 'failed', responseCode: null, latencyMs: 0, error: error instanceof Error ? error.message : String(error) };
		}
		this.counts[outcome.kind]++;
		// the slot stays taken until the attempt is recorded, so NOTIFY_CONCURRENCY bounds the unrecorded work too
		await new Promise<void>((resolve) => {
			this.done.push({ c, outcome, resolve });
			this.flush();
		});
	}

	private done: { c: Claimed; outcome: SendOutcome; resolve: () => void }[] = [];
	private flushing = false;

	/**
	 * Group commit: the attempts finished while one transaction records them
	 * go together into the next, so a busy worker writes one transaction per
	 * batch, not per delivery.
	 */
	private flush() {
		if (this.flushing) return;
		this.flushing = true;
		void (async () => {
			while (this.done.length) {
				const batch = this.done.splice(0);
				try {
					await recordAttempts(this.deps.db, this.deps.workerId, batch, this.deps.settings);
				} catch (error) {
					// The claims run out and another pass sends them again (same webhook-id): at least once, never lost.
					this.deps.log.error({ err: error, deliveries: batch.length, queue: 'notifications', worker: this.deps.workerId }, 'recording delivery attempts failed');
				}
				for (const b of batch) b.resolve();
			}
			this.flushing = false;
		})();
	}
}
