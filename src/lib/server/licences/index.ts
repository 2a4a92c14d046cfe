/**
 * Licences: an append-only ledger per tenant — grants, top-ups,
 * consumptions, refunds, corrections — whose balance is computed. A proof is
 * charged once (unique consumption per proof); with no balance left the proof
 * is rejected `licence_exhausted` and can be reprocessed after a top-up.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '#lib/server/audit';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { sendInTx, type Queue } from '#lib/server/queue';
import { ensureDevTenants, getTenant, type AuditContext } from '#lib/server/tenancy';
import { appendRow, consumptionOf, ledgerView, licenceTotals, listLedger, withLedgerLock, type LedgerView } from './ledger';
import { licenceLedger } from './schema';

export { withLedgerLock, consumeLicences, currentBalance, licenceTotals, listLedger, consumptionOf, type ConsumptionOutcome, type LicenceTotals, type LedgerView } from './ledger';
export { LEDGER_KINDS, type LedgerKind, type LedgerEntry } from './schema';
export { dailyBalances } from './stats';
export { ledgerPeriodTotals, consumptionsPerDay, type LedgerPeriodTotals } from './period';
export { exportLedger, BILLING_EXPORT_COLUMNS, type BillingExportQuery } from './export';
export { raiseLicenceAlert, licenceAlertsOf, type LicenceAlert, type BalanceChange } from './alerts';
export { LICENCE_ALERT_KINDS, type LicenceAlertKind } from './schema';

/**
 * The `proofs.retry` job a booking that adds licences sends in its
 * transaction: the retry worker then re-tests the tenant's proofs rejected
 * `licence_exhausted`, as many as the new balance allows.
 */
export const licencesAddedJob = z.object({ licencesAdded: z.object({ tenantId: z.uuid(), ledgerEntryId: z.number().int().positive() }) });

export type GrantInput = { tenantId: string; kind: 'grant' | 'top_up' | 'correction'; amount: number; reason: string };

/**
 * A platform admin books a grant, top-up or correction for a tenant, with a
 * reason; audited in the same transaction. Unknown tenant → 404; a grant or
 * top-up must be positive, a correction non-zero and must not take the balance
 * below zero (409). A booking that adds licences sends, in the same
 * transaction, the job that re-tests the tenant's proofs rejected for want of
 * a licence (`licencesAddedJob`).
 */
export async function grantLicences(tx: Tx, queue: Queue, input: GrantInput, ctx: AuditContext): Promise<LedgerView> {
	if (!(await getTenant(tx, input.tenantId))) throw new ApiError('not_found', 'No tenant with this id.');
	if (input.kind !== 'correction' && input.amount <= 0) {
		throw new ApiError('validation_failed', undefined, [{ field: 'amount', problem: 'must be positive for a grant or top-up' }]);
	}
	if (input.amount === 0) throw new ApiError('validation_failed', undefined, [{ field: 'amount', problem: 'a correction must not be zero' }]);
	const row = await withLedgerLock(tx, input.tenantId, () =>
		appendRow(tx, input.tenantId, { kind: input.kind, amount: input.amount, reason: input.reason, actor: ctx.actor && { kind: ctx.actor.kind, id: ctx.actor.id } })
	);
	await recordAudit(tx, {
		actor: ctx.actor,
		tenantId: input.tenantId,
		action: `licence.${input.kind}`,
		target: `tenant:${input.tenantId}`,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { amount: input.amount, balanceAfter: row.balanceAfter, reason: input.reason, ledgerId: row.id }
	});
	if (input.amount > 0) await sendInTx(queue, tx, 'proofs.retry', { licencesAdded: { tenantId: input.tenantId, ledgerEntryId: row.id } } satisfies z.infer<typeof licencesAddedJob>);
	return ledgerView(row);
}

/**
 * Gives back the licence a proof consumed (the caller has checked why: a
 * revoked certificate). Once per proof: a second refund, or a refund of a
 * proof never charged, is 409. Audited.
 */
export async function refundProof(
	tx: Tx,
	tenantId: string,
	proof: { id: string; publicId: string },
	reason: string,
	ctx: AuditContext,
	target: string
): Promise<LedgerView> {
	const row = await withLedgerLock(tx, tenantId, async () => {
		if (!(await consumptionOf(tx, proof.id))) throw new ApiError('conflict', 'This proof was never charged a licence.');
		const [refunded] = await tx
			.select({ id: licenceLedger.id })
			.from(licenceLedger)
			.where(and(eq(licenceLedger.kind, 'refund'), eq(licenceLedger.proofId, proof.id)));
		if (refunded) throw new ApiError('conflict', 'The licence of this certificate was refunded already.');
		return appendRow(tx, tenantId, {
			kind: 'refund',
			amount: 1,
			proofId: proof.id,
			proofPublicId: proof.publicId,
			reason,
			actor: ctx.actor && { kind: ctx.actor.kind, id: ctx.actor.id }
		});
	});
	await recordAudit(tx, {
		actor: ctx.actor,
		tenantId,
		action: 'licence.refund',
		target,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { proof: proof.publicId, balanceAfter: row.balanceAfter, reason, ledgerId: row.id }
	});
	return ledgerView(row);
}

/** A tenant's balance and a page of its ledger (console); unknown tenant → 404. */
export async function tenantLicences(db: DbOrTx, tenantId: string, page: { cursor?: string; limit?: number }) {
	if (!(await getTenant(db, tenantId))) throw new ApiError('not_found', 'No tenant with this id.');
	return { tenantId, balance: await licenceTotals(db, tenantId), ledger: await listLedger(db, tenantId, page) };
}

/** The dev seed's licence pools: acme 1,000 and globex 100. */
export const DEV_LICENCE_POOLS = { acme: 1000, globex: 100 } as const;

/**
 * Dev seed (embedded/dev mode only; the caller decides): books the pools once
 * per tenant (a unique reference on the grant row), so restarts add nothing.
 */
export async function ensureDevLicencePools(db: Db): Promise<void> {
	const ids = await ensureDevTenants(db);
	for (const [slug, amount] of Object.entries(DEV_LICENCE_POOLS) as [keyof typeof DEV_LICENCE_POOLS, number][]) {
		const tenantId = ids[slug];
		await db.transaction((tx) =>
			withLedgerLock(tx, tenantId, async () => {
				const [seeded] = await tx
					.select({ id: licenceLedger.id })
					.from(licenceLedger)
					.where(and(eq(licenceLedger.tenantId, tenantId), eq(licenceLedger.reference, 'dev-seed')));
				if (!seeded) await appendRow(tx, tenantId, { kind: 'grant', amount, reason: 'Development seed pool', reference: 'dev-seed' });
			})
		);
	}
}

/** Which of these proofs the ledger names (its rows are never deleted, so neither may those proofs be). */
export async function proofsInLedger(db: DbOrTx, proofIds: string[]): Promise<Set<string>> {
	if (!proofIds.length) return new Set();
	const rows = await db.selectDistinct({ proofId: licenceLedger.proofId }).from(licenceLedger).where(inArray(licenceLedger.proofId, proofIds));
	return new Set(rows.map((r) => r.proofId).filter((id): id is string => id !== null));
}

/** Licence units of every tenant by ledger kind, as positive numbers (for /metrics). */
export async function ledgerTotalsByKind(db: DbOrTx): Promise<{ kind: string; units: number }[]> {
	const rows = await db.select({ kind: licenceLedger.kind, total: sql<string>`coalesce(sum(abs(${licenceLedger.amount})), 0)` }).from(licenceLedger).groupBy(licenceLedger.kind);
	return rows.map((r) => ({ kind: r.kind, units: Number(r.total) }));
}
