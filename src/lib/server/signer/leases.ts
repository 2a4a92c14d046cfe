/**
 * Keyring leases and receipts in PostgreSQL: the keyring rules
 * across processes. Every worker process with an in-process keyring over one
 * DATA_DIR/keys takes keys through `signer_key_leases`, so a key is never held
 * by two batches at once, in any process, and free keys go least recently used
 * first; `signReceiptsOnce` makes a record's receipt signature unique.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { and, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import type { KeyLeaseStore } from './keyring';
import { signerKeyLeases, signerReceipts } from './schema';
import { SignerUnavailable, type Signer } from './types';

export const processHolder = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export function postgresLeaseStore(db: Db, opts: { leaseSeconds?: number } = {}): KeyLeaseStore {
	const ttl = opts.leaseSeconds ?? 60;
	let registered: Promise<void> | undefined;
	return {
		async acquire(keyIds, holder) {
			registered ??= db
				.insert(signerKeyLeases)
				.values(keyIds.map((keyId) => ({ keyId })))
				.onConflictDoNothing()
				.then(() => undefined);
			await registered.catch((error) => {
				registered = undefined;
				throw error;
			});
			// SKIP LOCKED: two processes asking at once get two different keys, neither waits on the other's row lock
			const rows = await db.execute<{ key_id: string; leased_at: string }>(sql`
				with free as (
					select key_id from ${signerKeyLeases}
					where ${inArray(signerKeyLeases.keyId, keyIds)} and (holder is null or leased_until < now())
					order by last_used_at asc nulls first, key_id
					limit 1
					for update skip locked
				)
				update ${signerKeyLeases} l set holder = ${holder}, leased_at = clock_timestamp(),
					leased_until = now() + make_interval(secs => ${ttl}), batches = l.batches + 1
				from free where l.key_id = free.key_id
				returning l.key_id, l.leased_at`);
			const row = rows[0];
			return row ? { keyId: row.key_id, at: new Date(row.leased_at) } : null;
		},
		async release(keyId, holder) {
			const rows = await db.execute<{ last_used_at: string }>(sql`
				update ${signerKeyLeases} set holder = null, leased_until = null, last_used_at = clock_timestamp()
				where key_id = ${keyId} and holder = ${holder}
				returning last_used_at`);
			return rows[0] ? new Date(rows[0].last_used_at) : null;
		},
		async usage(keyIds) {
			const rows = await db.select().from(signerKeyLeases).where(inArray(signerKeyLeases.keyId, keyIds));
			return new Map(rows.map((r) => [r.keyId, { batches: r.batches, lastUsedAt: r.lastUsedAt?.toISOString() ?? null }]));
		}
	};
}

export type Receipt = { keyId: string; signature: string; algorithm: string };

/**
 * Signs each record at most once, across processes and crashes: reserve the
 * records (primary key), sign only the reserved ones as one batch, store the
 * signatures; records reserved or signed by another worker are read back
 * (waiting while their signer is at work). A reservation whose holder died
 * runs out after `reserveSeconds` and is taken over. Throws SignerUnavailable
 * when the signer fails or another worker's reservation does not resolve in time.
 */
export async function signReceiptsOnce(
	db: Db,
	signer: Signer,
	records: { id: string; bytes: Uint8Array }[],
	opts: { holder?: string; reserveSeconds?: number } = {}
): Promise<Map<string, Receipt>> {
	const holder = opts.holder ?? processHolder();
	const ttl = opts.reserveSeconds ?? 60;
	const out = new Map<string, Receipt>();
	let pending = records;
	const deadline = Date.now() + (ttl + 5) * 1000;
	while (pending.length) {
		const reserved = await db
			.insert(signerReceipts)
			// in record-id order: two workers reserving overlapping batches composed differently (a batch retried
			// after a crash) then lock the rows in the same order; in their own orders they deadlocked (40P01,
			// tests/keyring-leases.spec.ts, one process ascending, one shuffled)
			.values([...pending].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r) => ({ recordId: r.id, holder, reservedUntil: sql`now() + make_interval(secs => ${ttl})` })))
			.onConflictDoUpdate({
				target: signerReceipts.recordId,
				set: { holder, reservedUntil: sql`excluded.reserved_until` },
				setWhere: and(isNull(signerReceipts.signature), sql`${signerReceipts.reservedUntil} < now()`)
			})
			.returning({ recordId: signerReceipts.recordId });
		const mineIds = new Set(reserved.map((r) => r.recordId));
		const mine = pending.filter((r) => mineIds.has(r.id));
		if (mine.length) {
			let batch;
			try {
				batch = await signer.signBatch(mine);
			} catch (error) {
				// give the records back at once rather than after the reservation runs out
				await db
					.delete(signerReceipts)
					.where(and(inArray(signerReceipts.recordId, [...mineIds]), eq(signerReceipts.holder, holder), isNull(signerReceipts.signature)))
					.catch(() => undefined);
				throw error;
			}
			const rows = mine.map((r) => ({ id: r.id, signature: batch.signatures.get(r.id)! }));
			await db.execute(sql`
				update ${signerReceipts} s set key_id = ${batch.keyId}, algorithm = ${batch.algorithm}, signature = v.signature, signed_at = now()
				from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id text, signature text)
				where s.record_id = v.id and s.holder = ${holder} and s.signature is null`);
		}
		const stored = await db
			.select()
			.from(signerReceipts)
			.where(and(inArray(signerReceipts.recordId, pending.map((r) => r.id)), isNotNull(signerReceipts.signature)));
		for (const s of stored) out.set(s.recordId, { keyId: s.keyId!, signature: s.signature!, algorithm: s.algorithm! });
		pending = pending.filter((r) => !out.has(r.id));
		if (pending.length) {
			if (Date.now() > deadline) throw new SignerUnavailable(`${pending.length} record(s) are being signed by another worker`);
			await new Promise((r) => setTimeout(r, 100));
		}
	}
	return out;
}
