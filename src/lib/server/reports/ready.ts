import type { DbOrTx } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import type { BillingReport } from './schema';

/**
 * The one place `report.ready` leaves this module: called in the transaction
 * that publishes a report version (once per version: only the transaction
 * that moves it from `generating` calls it). A tenant's report is announced
 * on its live event stream, nothing more: this build sends no mail or
 * webhook, and a notification of the event belongs here and nowhere else.
 */
export async function reportReady(tx: DbOrTx, report: BillingReport): Promise<void> {
	if (report.tenantId) await publishEvent(tx, report.tenantId, 'report.ready', { reportId: report.id, month: report.month, version: report.version });
}
