import type { DbOrTx } from '#lib/server/db/client';
import type { NotificationEvent } from './catalogue';
import { enqueueNotification } from './outbox';
import { licenceLowThreshold } from './settings';

/**
 * The licence alerts of one ledger change, in its transaction: `licences.low`
 * when the balance falls below the tenant's threshold (crossing it, so a
 * tenant hears it once per fall, not per proof), `licences.exhausted` when it
 * reaches zero or a proof is refused at zero. Keyed by the ledger row that
 * crossed: a refusal at a balance that is zero already repeats the key of the
 * row that took it there, and the outbox drops the duplicate.
 */
export async function notifyLicenceBalance(
	tx: DbOrTx,
	change: { tenantId: string; before: number; after: number; ledgerEntryId: number | null; refused: boolean }
): Promise<void> {
	if (change.after >= change.before && !change.refused) return;
	if (change.ledgerEntryId === null) return;
	const events: NotificationEvent[] = [];
	if (change.after > 0) {
		const threshold = await licenceLowThreshold(tx, change.tenantId);
		if (threshold > 0 && change.before >= threshold && change.after < threshold) {
			events.push({ type: 'licences.low', tenantId: change.tenantId, data: { balance: change.after, threshold, ledgerEntryId: change.ledgerEntryId } });
		}
	} else {
		events.push({ type: 'licences.exhausted', tenantId: change.tenantId, data: { balance: 0, ledgerEntryId: change.ledgerEntryId } });
	}
	if (events.length) await enqueueNotification(tx, events);
}
