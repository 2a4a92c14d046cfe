import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { LedgerEntry as ApiLedgerEntry } from '#lib/api/types.gen';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { decodeIntegerCursor, encodeCursor } from '#lib/server/http/cursor';
import { checkBalance, newestEntryId } from './alerts';
import { licenceLedger, type LedgerEntry, type LedgerKind } from './schema';

/**
 * Serialises ledger writes of one tenant for the rest of the transaction.
 * Every booking reads the newest `balance_after` under this lock, so two
 * consumptions at balance 1 cannot both pass, whichever processes they run in.
 * (A transaction-level advisory lock: taking it again in the same transaction
 * stacks and does not wait.)
 */
async function lockLedger(tx: Tx, tenantId: string): Promise<void> {
	await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`wipecert:licences:${tenantId}`}, 0))`);
}

/**
 * Runs `fn` holding the tenant's ledger lock until the transaction ends: what
 * `fn` decides from the balance (which proofs get a licence, whether a
 * correction fits) cannot race another booking of that tenant.
 */
export async function withLedgerLock<T>(tx: Tx, tenantId: string, fn: () => Promise<T>): Promise<T> {
	await lockLedger(tx, tenantId);
	return fn();
}

/** The tenant's balance: the newest row's `balance_after` (0 before the first row). */
export async function currentBalance(db: DbOrTx, tenantId: string): Promise<number> {
	const [row] = await db
		.select({ balance: licenceLedger.balanceAfter })
		.from(licenceLedger)
		.where(eq(licenceLedger.tenantId, tenantId))
		.orderBy(desc(licenceLedger.id))
		.limit(1);
	return row?.balance ?? 0;
}

export type Booking = {
	kind: LedgerKind;
	amount: number;
	proofId?: string | null;
	proofPublicId?: string | null;
	reason?: string | null;
	actor?: { kind: string; id: string } | null;
	reference?: string | null;
};

/**
 * Appends one row (the caller holds the ledger lock: `withLedgerLock`). A row that would take the
 * balance below zero is refused with 409: nothing is booked.
 */
export async function appendRow(tx: Tx, tenantId: string, booking: Booking): Promise<LedgerEntry> {
	const balance = await currentBalance(tx, tenantId);
	const after = balance + booking.amount;
	if (after < 0) throw new ApiError('conflict', `The balance is ${balance}; this would take it to ${after}.`);
	const [row] = await tx
		.insert(licenceLedger)
		.values({
			tenantId,
			kind: booking.kind,
			amount: booking.amount,
			balanceAfter: after,
			proofId: booking.proofId ?? null,
			proofPublicId: booking.proofPublicId ?? null,
			reason: booking.reason ?? null,
			actorKind: booking.actor?.kind ?? null,
			actorId: booking.actor?.id ?? null,
			reference: booking.reference ?? null
		})
		.returning();
	await checkBalance(tx, { tenantId, before: balance, after, ledgerEntryId: row.id, refused: false });
	return row;
}

export type ConsumptionOutcome = {
	/** proofs that hold a consumption row now (booked here or before: never twice) */
	charged: Set<string>;
	/** proofs with no licence left for them */
	exhausted: Set<string>;
};

/**
 * Charges one licence per proof, in the given order, inside the caller's
 * transaction (the same one that changes the proofs' status). A
 * proof charged before (a retry after a crash) is not charged again: the
 * unique consumption index makes that impossible, and it is checked first so
 * the batch does not fail on it.
 */
export async function consumeLicences(tx: Tx, tenantId: string, proofs: { id: string; publicId: string }[]): Promise<ConsumptionOutcome> {
	const charged = new Set<string>();
	const exhausted = new Set<string>();
	if (!proofs.length) return { charged, exhausted };
	await lockLedger(tx, tenantId);
	const before = await tx
		.select({ proofId: licenceLedger.proofId })
		.from(licenceLedger)
		.where(and(eq(licenceLedger.kind, 'consumption'), inArray(licenceLedger.proofId, proofs.map((p) => p.id))));
	for (const r of before) if (r.proofId) charged.add(r.proofId);
	let balance = await currentBalance(tx, tenantId);
	const opening = balance;
	const rows: (typeof licenceLedger.$inferInsert)[] = [];
	for (const p of proofs) {
		if (charged.has(p.id)) continue;
		if (balance <= 0) {
			exhausted.add(p.id);
			continue;
		}
		balance -= 1;
		rows.push({ tenantId, kind: 'consumption', amount: -1, balanceAfter: balance, proofId: p.id, proofPublicId: p.publicId });
		charged.add(p.id);
	}
	// ids are a bigserial: one multi-row insert keeps the rows in order, so balance_after runs down 1 by 1
	const booked = rows.length ? await tx.insert(licenceLedger).values(rows).returning({ id: licenceLedger.id }) : [];
	const newest = booked.length ? Math.max(...booked.map((b) => b.id)) : exhausted.size ? await newestEntryId(tx, tenantId) : null;
	await checkBalance(tx, { tenantId, before: opening, after: balance, ledgerEntryId: newest, refused: exhausted.size > 0 });
	return { charged, exhausted };
}

export type LicenceTotals = { balance: number; granted: number; consumed: number; refunded: number; corrected: number };

/** The balance and its totals by kind, computed from the ledger. */
export async function licenceTotals(db: DbOrTx, tenantId: string): Promise<LicenceTotals> {
	const rows = await db
		.select({ kind: licenceLedger.kind, total: sql<string>`sum(${licenceLedger.amount})` })
		.from(licenceLedger)
		.where(eq(licenceLedger.tenantId, tenantId))
		.groupBy(licenceLedger.kind);
	const by = new Map(rows.map((r) => [r.kind, Number(r.total)]));
	return {
		balance: await currentBalance(db, tenantId),
		granted: (by.get('grant') ?? 0) + (by.get('top_up') ?? 0),
		consumed: -(by.get('consumption') ?? 0),
		refunded: by.get('refund') ?? 0,
		corrected: by.get('correction') ?? 0
	};
}

/** The API's ledger row (openapi LedgerEntry): the contract is the one definition of this shape. */
export type LedgerView = ApiLedgerEntry;

export function ledgerView(row: LedgerEntry): LedgerView {
	return {
		id: row.id,
		kind: row.kind,
		amount: row.amount,
		balanceAfter: row.balanceAfter,
		proofId: row.proofPublicId,
		reason: row.reason,
		createdAt: row.createdAt.toISOString()
	};
}

/** Ledger rows of a tenant, newest first, cursor-paginated. */
export async function listLedger(db: DbOrTx, tenantId: string, page: { cursor?: string; limit?: number }): Promise<{ items: LedgerView[]; nextCursor: string | null }> {
	const limit = page.limit ?? 50;
	const before = page.cursor ? decodeIntegerCursor(page.cursor) : null;
	const rows = await db
		.select()
		.from(licenceLedger)
		.where(and(eq(licenceLedger.tenantId, tenantId), before !== null ? lt(licenceLedger.id, before) : undefined))
		.orderBy(desc(licenceLedger.id))
		.limit(limit + 1);
	const items = rows.slice(0, limit).map(ledgerView);
	return { items, nextCursor: rows.length > limit ? encodeCursor(String(rows[limit - 1].id)) : null };
}

/** The consumption row of a proof, if it was charged. */
export async function consumptionOf(db: DbOrTx, proofId: string): Promise<LedgerEntry | null> {
	const [row] = await db
		.select()
		.from(licenceLedger)
		.where(and(eq(licenceLedger.kind, 'consumption'), eq(licenceLedger.proofId, proofId)));
	return row ?? null;
}
