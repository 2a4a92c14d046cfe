import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { insertDeliveries, readRecipients, SKIP_NO_ROUTE, type DeliveryInsert } from './outbox';
import { notificationDigestItems, notificationSettings } from './schema';
import { digestData, type DigestData } from './templates';

/** Certificates listed in one digest mail; the rest are counted ("…and N more"). */
const LISTED = 200;

/**
 * Turns waiting `certificate.issued` digest items into digest mails: hourly
 * tenants (and tenants that switched digests off since) at every run, daily
 * tenants at NOTIFY_DIGEST_HOUR (UTC) or when their oldest item is a day old
 * (a missed run). One transaction per tenant takes its open items (SKIP
 * LOCKED), writes one delivery per recipient and marks the items, so an item
 * is in exactly one digest however often or wherever this runs.
 */
export async function runDigests(db: Db, opts: { now?: Date; digestHour: number }): Promise<{ tenants: number; certificates: number }> {
	const now = opts.now ?? new Date();
	const open = await db
		.select({ tenantId: notificationDigestItems.tenantId, oldest: sql<Date>`min(${notificationDigestItems.createdAt})`.mapWith((v) => new Date(v)) })
		.from(notificationDigestItems)
		.where(isNull(notificationDigestItems.digestKey))
		.groupBy(notificationDigestItems.tenantId);
	let tenants = 0;
	let certificates = 0;
	for (const t of open) {
		const n = await db.transaction(async (tx) => {
			const [s] = await tx.select().from(notificationSettings).where(eq(notificationSettings.tenantId, t.tenantId));
			const daily = s?.digest === 'daily';
			if (daily && now.getUTCHours() !== opts.digestHour && now.getTime() - t.oldest.getTime() < 24 * 3600_000) return 0;
			const items = await tx
				.select()
				.from(notificationDigestItems)
				.where(and(eq(notificationDigestItems.tenantId, t.tenantId), isNull(notificationDigestItems.digestKey)))
				.orderBy(asc(notificationDigestItems.id))
				.for('update', { skipLocked: true });
			if (!items.length) return 0;
			const key = `digest:${t.tenantId}:${items[0].id}-${items[items.length - 1].id}`;
			const data: DigestData = {
				count: items.length,
				from: items[0].createdAt.toISOString(),
				to: items[items.length - 1].createdAt.toISOString(),
				certificates: digestEntries(items.slice(0, LISTED))
			};
			const payload = { occurredAt: now.toISOString(), data };
			const recipients = readRecipients(s?.recipients)['certificate.issued'] ?? [];
			const base = { tenant_id: t.tenantId, event_type: 'certificate.issued', channel: 'mail' as const, template_id: 'mail:certificate.issued.digest', endpoint_id: null, endpoint_url: null, payload };
			const rows: DeliveryInsert[] = recipients.length
				? recipients.map((r) => ({ ...base, idempotency_key: `${key}/mail:${r}`, recipient: r, status: 'pending', skip_reason: null }))
				: [{ ...base, idempotency_key: `${key}/none`, recipient: null, status: 'skipped', skip_reason: SKIP_NO_ROUTE }];
			await insertDeliveries(tx, rows);
			await tx.update(notificationDigestItems).set({ digestKey: key }).where(inArray(notificationDigestItems.id, items.map((i) => i.id)));
			return items.length;
		});
		if (n) {
			tenants++;
			certificates += n;
		}
	}
	return { tenants, certificates };
}

/** A digest line from a stored `certificate.issued` item (read through the digest's schema; an unreadable item is counted, not listed). */
function digestEntries(items: { data: unknown }[]): DigestData['certificates'] {
	const entry = digestData.shape.certificates.element;
	return items.flatMap((i) => {
		const parsed = entry.safeParse(i.data);
		if (!parsed.success) return [];
		const { certificateId, issuedAt, assetTag, device } = parsed.data;
		return [{ certificateId, issuedAt, ...(assetTag ? { assetTag } : {}), ...(device ? { device: { manufacturer: device.manufacturer, model: device.model } } : {}) }];
	});
}
