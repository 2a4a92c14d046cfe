import type { Delivery, DeliveryAttempt, DeliveryDetail as DeliveryDetailView } from '#lib/api/types.gen';
import { and, asc, desc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { storedPayload } from './catalogue';
import { afterCursor, cursorAt, page } from './cursor';
import type { Actor } from './endpoints';
import { WAKE_CHANNEL } from './outbox';
import { notificationAttempts, notificationDeliveries, notificationDigestItems, type DeliveryRow, type DeliveryStatus } from './schema';

/** The views are the API's (openapi/openapi.yaml: Delivery, DeliveryAttempt, DeliveryDetail). */
export type DeliveryView = Delivery;
export type AttemptView = DeliveryAttempt;
export type DeliveryDetail = DeliveryDetailView;

export function deliveryView(d: DeliveryRow): DeliveryView {
	return {
		id: d.id,
		tenantId: d.tenantId,
		event: d.eventType,
		template: d.templateId,
		channel: d.channel,
		status: d.status,
		recipient: d.recipient,
		endpointId: d.endpointId,
		endpointUrl: d.endpointUrl,
		attemptCount: d.attempts,
		nextAttemptAt: d.status === 'pending' || d.status === 'retrying' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
		lastError: d.lastError,
		lastResponseCode: d.lastResponseCode,
		skipReason: d.skipReason,
		createdAt: d.createdAt.toISOString(),
		updatedAt: d.updatedAt.toISOString(),
		sentAt: d.sentAt?.toISOString() ?? null
	};
}

export type DeliveryFilter = { status?: DeliveryStatus; channel?: 'mail' | 'webhook'; endpointId?: string; event?: string };

const filtered = (f: DeliveryFilter) => [
	f.status ? eq(notificationDeliveries.status, f.status) : undefined,
	f.channel ? eq(notificationDeliveries.channel, f.channel) : undefined,
	f.endpointId ? eq(notificationDeliveries.endpointId, f.endpointId) : undefined,
	f.event ? eq(notificationDeliveries.eventType, f.event) : undefined
];

/**
 * Deliveries newest first: a tenant's (tenantId given), or — for the
 * console — every tenant's and the platform's (`tenantId` undefined).
 */
export async function listDeliveries(db: DbOrTx, scope: { tenantId: string } | { all: true }, f: DeliveryFilter, p: { cursor?: string; limit: number }) {
	const rows = await db
		.select({ row: notificationDeliveries, cursorAt: cursorAt(notificationDeliveries.createdAt) })
		.from(notificationDeliveries)
		.where(
			and(
				'tenantId' in scope ? eq(notificationDeliveries.tenantId, scope.tenantId) : undefined,
				...filtered(f),
				afterCursor(p.cursor, notificationDeliveries.createdAt, notificationDeliveries.id)
			)
		)
		.orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
		.limit(p.limit + 1);
	const { items, nextCursor } = page(rows.map((r) => ({ id: r.row.id, cursorAt: r.cursorAt, row: r.row })), p.limit);
	return { items: items.map((i) => deliveryView(i.row)), nextCursor };
}

async function deliveryRow(db: DbOrTx, scope: { tenantId: string } | { all: true }, id: string, lock = false): Promise<DeliveryRow> {
	const q = db
		.select()
		.from(notificationDeliveries)
		.where(and(eq(notificationDeliveries.id, id), 'tenantId' in scope ? eq(notificationDeliveries.tenantId, scope.tenantId) : undefined));
	const [row] = lock ? await q.for('update') : await q;
	// another tenant's delivery is "not found", like one that does not exist
	if (!row) throw new ApiError('not_found', 'No delivery with this id in your tenant.');
	return row;
}

/** One delivery with its payload and every attempt, oldest first. */
export async function getDelivery(db: DbOrTx, scope: { tenantId: string } | { all: true }, id: string): Promise<DeliveryDetail> {
	const row = await deliveryRow(db, scope, id);
	const attempts = await db.select().from(notificationAttempts).where(eq(notificationAttempts.deliveryId, id)).orderBy(asc(notificationAttempts.attemptNo));
	const payload = storedPayload.safeParse(row.payload);
	return {
		...deliveryView(row),
		occurredAt: payload.success ? payload.data.occurredAt : row.createdAt.toISOString(),
		payload: payload.success ? payload.data.data : {},
		attempts: attempts.map((a) => ({
			attemptNo: a.attemptNo,
			status: a.status,
			startedAt: a.startedAt.toISOString(),
			finishedAt: a.finishedAt?.toISOString() ?? null,
			responseCode: a.responseCode,
			latencyMs: a.latencyMs,
			error: a.error,
			responseExcerpt: a.responseExcerpt
		}))
	};
}

/**
 * Sends a delivery again with its kept payload: from `pending`, `retrying`
 * or `dead_lettered` it is due at once with a fresh round of
 * NOTIFY_MAX_ATTEMPTS (attempt numbers keep counting). `sent` answers 409
 * `delivery_already_sent`, `skipped` 409 `delivery_not_resendable`. The
 * worker is woken at commit. Audited.
 */
export async function resendDelivery(tx: Tx, scope: { tenantId: string } | { all: true }, id: string, ctx: Actor): Promise<DeliveryView> {
	const row = await deliveryRow(tx, scope, id, true);
	if (row.status === 'sent') throw new ApiError('delivery_already_sent');
	if (row.status === 'skipped') throw new ApiError('delivery_not_resendable');
	const [after] = await tx
		.update(notificationDeliveries)
		.set({ status: 'pending', nextAttemptAt: sql`now()`, roundAttempts: 0, updatedAt: sql`now()` })
		.where(eq(notificationDeliveries.id, id))
		.returning();
	await tx.execute(sql`select pg_notify(${WAKE_CHANNEL}::text, '')`);
	await recordAudit(tx, {
		...ctx,
		tenantId: row.tenantId,
		action: 'delivery.resend',
		target: `delivery:${id}`,
		result: 'success',
		details: { event: row.eventType, channel: row.channel, from: row.status, attempts: row.attempts }
	});
	return deliveryView(after);
}

/** Counts by status of a tenant's deliveries (the Notifications page's summary). */
export async function deliveryCounts(db: DbOrTx, tenantId: string | null): Promise<Record<DeliveryStatus, number>> {
	const rows = await db
		.select({ status: notificationDeliveries.status, n: sql<number>`count(*)::int` })
		.from(notificationDeliveries)
		.where(tenantId ? eq(notificationDeliveries.tenantId, tenantId) : undefined)
		.groupBy(notificationDeliveries.status);
	const out: Record<DeliveryStatus, number> = { pending: 0, retrying: 0, sent: 0, dead_lettered: 0, skipped: 0 };
	for (const r of rows) out[r.status] = r.n;
	return out;
}

/** Drops sent and skipped deliveries (and used digest items) older than `days`; dead letters stay until resent. */
export async function purgeDeliveries(db: DbOrTx, days: number): Promise<number> {
	const cutoff = sql`now() - make_interval(days => ${days})`;
	const gone = await db
		.delete(notificationDeliveries)
		.where(and(inArray(notificationDeliveries.status, ['sent', 'skipped']), lt(notificationDeliveries.updatedAt, cutoff)))
		.returning({ id: notificationDeliveries.id });
	await db.delete(notificationDigestItems).where(and(isNotNull(notificationDigestItems.digestKey), lt(notificationDigestItems.createdAt, cutoff)));
	return gone.length;
}
