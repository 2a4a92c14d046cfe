import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import { enqueueNotification, licenceAlert } from '#lib/server/notifications';
import { getTenant } from '#lib/server/tenancy';
import { licenceAlerts, licenceLedger, type LicenceAlertKind } from './schema';

/** What a booking did to a tenant's balance, in the booking's transaction (under the ledger lock). */
export type BalanceChange = {
	tenantId: string;
	before: number;
	after: number;
	/** the newest ledger row after the booking (null: the tenant has none) */
	ledgerEntryId: number | null;
	/** proofs were refused for want of a licence */
	refused: boolean;
};

export type LicenceAlert = { tenantId: string; kind: LicenceAlertKind; ledgerEntryId: number; balance: number; threshold: number | null };

/**
 * The one place a licence alert leaves this module: recorded once per
 * crossing (unique per tenant, kind and crossing ledger row, so a retried
 * batch or a refusal at a balance that is zero already raises nothing new),
 * then published as the live event `licences.low` / `licences.exhausted` in
 * the same transaction, with its notification (mail and webhooks as the
 * tenant chose, through the outbox).
 */
export async function raiseLicenceAlert(tx: DbOrTx, alert: LicenceAlert): Promise<boolean> {
	const [row] = await tx.insert(licenceAlerts).values(alert).onConflictDoNothing().returning({ id: licenceAlerts.id });
	if (!row) return false;
	await publishEvent(tx, alert.tenantId, `licences.${alert.kind}`, { balance: alert.balance, threshold: alert.threshold, ledgerEntryId: alert.ledgerEntryId });
	await enqueueNotification(tx, licenceAlert(alert));
	return true;
}

/**
 * The alerts of one booking: `low` when the balance falls below the tenant's
 * threshold (from at or above it, so once per fall, not once per proof),
 * `exhausted` when it reaches zero or a proof is refused at zero — keyed by
 * the row that took it to zero, which is the newest row whenever the balance
 * is zero (amounts are never zero).
 */
export async function checkBalance(tx: DbOrTx, change: BalanceChange): Promise<LicenceAlertKind[]> {
	if ((change.after >= change.before && !change.refused) || change.ledgerEntryId === null) return [];
	const raised: LicenceAlertKind[] = [];
	if (change.after > 0) {
		const threshold = (await getTenant(tx, change.tenantId))?.lowBalanceThreshold ?? 0;
		if (threshold > 0 && change.before >= threshold && change.after < threshold) {
			if (await raiseLicenceAlert(tx, { tenantId: change.tenantId, kind: 'low', ledgerEntryId: change.ledgerEntryId, balance: change.after, threshold })) raised.push('low');
		}
	} else if (await raiseLicenceAlert(tx, { tenantId: change.tenantId, kind: 'exhausted', ledgerEntryId: change.ledgerEntryId, balance: 0, threshold: null })) {
		raised.push('exhausted');
	}
	return raised;
}

/** The newest ledger row of a tenant (what a refusal at zero is keyed by). */
export async function newestEntryId(db: DbOrTx, tenantId: string): Promise<number | null> {
	const [row] = await db.select({ id: licenceLedger.id }).from(licenceLedger).where(eq(licenceLedger.tenantId, tenantId)).orderBy(desc(licenceLedger.id)).limit(1);
	return row?.id ?? null;
}

/** The alerts a tenant was sent, newest first (tests, console). */
export async function licenceAlertsOf(db: DbOrTx, tenantId: string) {
	return db.select().from(licenceAlerts).where(eq(licenceAlerts.tenantId, tenantId)).orderBy(desc(licenceAlerts.id));
}
