import type { DbOrTx } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import { enqueueNotification, reportReadyEvent } from '#lib/server/notifications';
import type { BillingReport } from './schema';

/**
 * The one place `report.ready` leaves this module: called in the transaction
 * that publishes a report version (once per version: only the transaction
 * that moves it from `generating` calls it). A tenant's report is announced
 * on its live event stream and notified (mail and webhooks as the tenant
 * chose, through the outbox); the platform-wide report is neither.
 */
export async function reportReady(tx: DbOrTx, report: BillingReport): Promise<void> {
	if (!report.tenantId) return;
	await publishEvent(tx, report.tenantId, 'report.ready', { reportId: report.id, month: report.month, version: report.version });
	await enqueueNotification(tx, reportReadyEvent({ id: report.id, tenantId: report.tenantId, month: report.month }));
}
