import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { KeyStore } from './store';
import { SignerUnavailable } from './types';

/** Where keys are leased when several processes share one keyring directory. */
export interface KeyLeaseStore {
	/** leases the least recently used of `keyIds` that nobody holds; null when all are held */
	acquire(keyIds: string[], holder: string): Promise<{ keyId: string; at: Date } | null>;
	/** gives the key back (marks it used now); the time of release, null if the lease had been lost */
	release(keyId: string, holder: string): Promise<Date | null>;
	usage?(keyIds: string[]): Promise<Map<string, { batches: number; lastUsedAt: string | null }>>;
}

export type LeaseEvent = { type: 'acquire' | 'release'; keyId: string; batch: number; at?: Date };

/** A signing key with its use: what the leases hand out. */
export type SigningKey = { id: string; key: KeyObject; certPem: string; createdAt: string; batches: number; lastUsedAt: string | null; seq: number; busy: boolean };

export const usageFile = z.record(z.string(), z.object({ batches: z.number().int(), lastUsedAt: z.string().nullable(), seq: z.number().int() }));

/**
 * The keyring rules' bookkeeping, apart from the cryptography: a key signs one
 * batch at a time (a batch waits for a free key), the least recently used free
 * key goes first, and the use of each key is counted. With a lease store
 * (PostgreSQL, leases.ts) the rules hold across every process sharing the
 * keyring directory; without one, within this process, and the counters are
 * kept in `usage.json` (written at most once a second and on close).
 */
export class KeyLeases {
	private waiters: ((k: SigningKey) => void)[] = [];
	private seq: number;
	private batchCounter = 0;
	private usageWrite: Promise<void> = Promise.resolve();
	private usageTimer: NodeJS.Timeout | null = null;
	private readonly holderPrefix = `${process.pid}:${randomBytes(4).toString('hex')}`;

	constructor(
		readonly keys: SigningKey[],
		private readonly files: KeyStore,
		private readonly opts: { leases?: KeyLeaseStore; onLease?: (event: LeaseEvent) => void }
	) {
		this.seq = Math.max(0, ...keys.map((k) => k.seq));
	}

	/** Runs `fn` holding one key for one batch; the key is given back whatever `fn` does. */
	async withKey<T>(fn: (key: SigningKey) => Promise<T>): Promise<T> {
		const batch = ++this.batchCounter;
		const key = await this.acquire(batch);
		try {
			return await fn(key);
		} finally {
			await this.release(key, batch);
		}
	}

	/** Batches signed and last use per key: the shared counters when there are any, else this process's. */
	async usage(): Promise<{ keyId: string; batches: number; lastUsedAt: string | null }[]> {
		if (this.opts.leases?.usage) {
			const shared = await this.opts.leases.usage(this.keys.map((k) => k.id));
			return this.keys.map((k) => ({ keyId: k.id, batches: shared.get(k.id)?.batches ?? 0, lastUsedAt: shared.get(k.id)?.lastUsedAt ?? null }));
		}
		return this.keys.map((k) => ({ keyId: k.id, batches: k.batches, lastUsedAt: k.lastUsedAt }));
	}

	/** Writes the counters not written yet. */
	async close(): Promise<void> {
		if (this.usageTimer) await this.flushUsage();
		await this.usageWrite;
	}

	/** Least recently used free key (never used first, then oldest use; ties by id). */
	private pickFree(): SigningKey | null {
		let best: SigningKey | null = null;
		for (const k of this.keys) if (!k.busy && (!best || k.seq < best.seq)) best = k;
		return best;
	}

	/** A key for one batch: through the shared lease store when there is one, else among this process's free keys. */
	private async acquire(batch: number): Promise<SigningKey> {
		const store = this.opts.leases;
		if (!store) return this.acquireLocal(batch);
		const ids = this.keys.map((k) => k.id);
		for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
			let lease: { keyId: string; at: Date } | null;
			try {
				lease = await store.acquire(ids, `${this.holderPrefix}:${batch}`);
			} catch (error) {
				throw new SignerUnavailable(`key leases unavailable: ${(error as Error).message}`, { cause: error });
			}
			if (lease) {
				const k = this.keys.find((x) => x.id === lease.keyId)!;
				k.busy = true;
				this.opts.onLease?.({ type: 'acquire', keyId: k.id, batch, at: lease.at });
				return k;
			}
			// every key is held by some batch somewhere: wait for one to come back
			await new Promise((r) => setTimeout(r, wait));
		}
	}

	private async release(k: SigningKey, batch: number): Promise<void> {
		const store = this.opts.leases;
		if (!store) return this.releaseLocal(k, batch);
		k.busy = false;
		k.batches++;
		k.lastUsedAt = new Date().toISOString();
		let at: Date | null = null;
		try {
			at = await store.release(k.id, `${this.holderPrefix}:${batch}`);
		} catch {
			// the lease runs out by itself (leased_until)
		}
		this.opts.onLease?.({ type: 'release', keyId: k.id, batch, at: at ?? undefined });
	}

	private acquireLocal(batch: number): Promise<SigningKey> {
		const k = this.pickFree();
		if (k) {
			k.busy = true;
			this.opts.onLease?.({ type: 'acquire', keyId: k.id, batch });
			return Promise.resolve(k);
		}
		return new Promise((resolve) =>
			this.waiters.push((key) => {
				this.opts.onLease?.({ type: 'acquire', keyId: key.id, batch });
				resolve(key);
			})
		);
	}

	private releaseLocal(k: SigningKey, batch: number): void {
		k.seq = ++this.seq;
		k.batches++;
		k.lastUsedAt = new Date().toISOString();
		k.busy = false;
		this.opts.onLease?.({ type: 'release', keyId: k.id, batch });
		this.saveUsage();
		const waiter = this.waiters.shift();
		if (waiter) {
			const next = this.pickFree()!;
			next.busy = true;
			waiter(next);
		}
	}

	/**
	 * LRU order and counters survive a restart (best effort: the keys are what
	 * matters). Written at most once a second and on close: a synchronous file
	 * write after every signature was ~1 ms of each PDF (a CPU profile).
	 */
	private saveUsage(): void {
		if (this.usageTimer) return;
		this.usageTimer = setTimeout(() => this.flushUsage(), 1000);
		this.usageTimer.unref();
	}

	private flushUsage(): Promise<void> {
		if (this.usageTimer) clearTimeout(this.usageTimer);
		this.usageTimer = null;
		const snapshot = JSON.stringify(Object.fromEntries(this.keys.map((k) => [k.id, { batches: k.batches, lastUsedAt: k.lastUsedAt, seq: k.seq }])));
		this.usageWrite = this.usageWrite.then(() => {
			try {
				this.files.write('usage.json', snapshot);
			} catch {
				// a full disk must not fail a signature
			}
		});
		return this.usageWrite;
	}
}
