import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { proofs } from '../proofs/schema';
import { tenants } from '../tenancy/schema';

export const LEDGER_KINDS = ['grant', 'top_up', 'consumption', 'refund', 'correction'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];

/**
 * The licence ledger: append-only — a trigger refuses UPDATE,
 * DELETE and TRUNCATE (migration `licences_append_only`); corrections are new
 * rows. Each row carries the tenant's balance after it, computed under a
 * per-tenant advisory lock, so the balance is one indexed read and every row
 * can be checked against the one before it (`balance_after = previous + amount`).
 *
 * A proof is charged at most once whatever crashes: one consumption row per
 * proof (unique index), likewise one refund.
 */
export const licenceLedger = pgTable(
	'licence_ledger',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'restrict' }),
		kind: text('kind', { enum: LEDGER_KINDS }).notNull(),
		amount: integer('amount').notNull(),
		balanceAfter: integer('balance_after').notNull(),
		proofId: uuid('proof_id').references(() => proofs.id, { onDelete: 'restrict' }),
		/** the proof's public id, kept with the row so the ledger reads without joining proofs */
		proofPublicId: text('proof_public_id'),
		reason: text('reason'),
		actorKind: text('actor_kind'),
		actorId: text('actor_id'),
		/** a caller's unique reference (e.g. the dev seed), so a grant is booked once */
		reference: text('reference'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		index('licence_ledger_tenant_idx').on(t.tenantId, t.id),
		// the billing export by booking time across tenants (keyset over created_at, id)
		index('licence_ledger_created_idx').on(t.createdAt, t.id),
		uniqueIndex('licence_ledger_consumption_key').on(t.proofId).where(sql`${t.kind} = 'consumption'`),
		uniqueIndex('licence_ledger_refund_key').on(t.proofId).where(sql`${t.kind} = 'refund'`),
		uniqueIndex('licence_ledger_reference_key').on(t.tenantId, t.reference).where(sql`${t.reference} is not null`),
		check('licence_ledger_kind_check', sql`${t.kind} in ('grant', 'top_up', 'consumption', 'refund', 'correction')`),
		check('licence_ledger_balance_check', sql`${t.balanceAfter} >= 0`),
		check(
			'licence_ledger_amount_check',
			sql`(${t.kind} = 'consumption' and ${t.amount} = -1 and ${t.proofId} is not null)
				or (${t.kind} = 'refund' and ${t.amount} = 1 and ${t.proofId} is not null)
				or (${t.kind} in ('grant', 'top_up') and ${t.amount} > 0)
				or (${t.kind} = 'correction' and ${t.amount} <> 0)`
		),
		check('licence_ledger_reason_check', sql`${t.kind} = 'consumption' or length(${t.reason}) > 0`)
	]
);

export type LedgerEntry = typeof licenceLedger.$inferSelect;

export const LICENCE_ALERT_KINDS = ['low', 'exhausted'] as const;
export type LicenceAlertKind = (typeof LICENCE_ALERT_KINDS)[number];

/**
 * Licence alerts raised: `low` when the balance fell below the tenant's
 * threshold, `exhausted` when it reached zero (or a proof was refused at
 * zero). Keyed by the ledger row that crossed, so a crossing raises its alert
 * once whatever retries or refusals follow; written in the booking's
 * transaction (alerts.ts).
 */
export const licenceAlerts = pgTable(
	'licence_alerts',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'restrict' }),
		kind: text('kind', { enum: LICENCE_ALERT_KINDS }).notNull(),
		/** the ledger row that took the balance below the threshold, or to zero (no foreign key needed: ledger rows never go away) */
		ledgerEntryId: bigint('ledger_entry_id', { mode: 'number' }).notNull(),
		balance: integer('balance').notNull(),
		/** the threshold crossed (low), null for exhausted */
		threshold: integer('threshold'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('licence_alerts_crossing_key').on(t.tenantId, t.kind, t.ledgerEntryId),
		check('licence_alerts_kind_check', sql`${t.kind} in ('low', 'exhausted')`)
	]
);

export type LicenceAlert = typeof licenceAlerts.$inferSelect;
