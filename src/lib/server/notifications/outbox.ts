import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '#lib/server/db/client';
import { checkEvent, type NotificationEvent, type StoredPayload } from './catalogue';
import { notificationDeliveries, notificationDigestItems, notificationSettings, webhookEndpoints, type DigestMode } from './schema';

/** NOTIFY channel that wakes the notifications workers; PostgreSQL delivers it only when the transaction commits. */
export const WAKE_CHANNEL = 'wipecert_notifications';

export const recipientsSchema = z.record(z.string(), z.array(z.email()));

/** The recipients map of a settings row (stored as jsonb; anything unreadable counts as none). */
export function readRecipients(value: unknown): Record<string, string[]> {
	const parsed = recipientsSchema.safeParse(value);
	return parsed.success ? parsed.data : {};
}

export const SKIP_NO_ROUTE = 'No mail recipient or webhook endpoint is configured for this event.';

type Row = {
	tenant_id: string | null;
	event_type: string;
	channel: 'mail' | 'webhook';
	template_id: string;
	idempotency_key: string;
	recipient: string | null;
	endpoint_id: string | null;
	endpoint_url: string | null;
	status: 'pending' | 'skipped';
	payload: StoredPayload;
	skip_reason: string | null;
};

type Routes = {
	settings: Map<string | null, { digest: DigestMode; recipients: Record<string, string[]> }>;
	endpoints: { id: string; tenantId: string; url: string; events: string[] }[];
};

async function loadRoutes(tx: DbOrTx, tenantIds: (string | null)[]): Promise<Routes> {
	const ids = tenantIds.filter((t): t is string => t !== null);
	const platform = tenantIds.includes(null);
	const [settings, endpoints] = await Promise.all([
		tx
			.select({ tenantId: notificationSettings.tenantId, digest: notificationSettings.digest, recipients: notificationSettings.recipients })
			.from(notificationSettings)
			.where(or(ids.length ? inArray(notificationSettings.tenantId, ids) : undefined, platform ? isNull(notificationSettings.tenantId) : undefined)),
		ids.length
			? tx
					.select({ id: webhookEndpoints.id, tenantId: webhookEndpoints.tenantId, url: webhookEndpoints.url, events: webhookEndpoints.events })
					.from(webhookEndpoints)
					.where(and(inArray(webhookEndpoints.tenantId, ids), eq(webhookEndpoints.enabled, true)))
			: Promise.resolve([])
	]);
	return {
		settings: new Map(settings.map((s) => [s.tenantId, { digest: s.digest, recipients: readRecipients(s.recipients) }])),
		endpoints
	};
}

/**
 * The outbox (transactional): writes the deliveries of `events` in the
 * caller's transaction, so they exist exactly when the change that caused
 * them commits, and wakes the notifications workers at commit (NOTIFY).
 *
 * Routes are taken from the settings as they are now: each mail recipient
 * of the event (or the fixed recipient, for an invitation) and each enabled
 * webhook endpoint subscribed to it gets one delivery; `certificate.issued`
 * mail of a tenant that chose a digest waits as a digest item instead. An
 * event with no route at all is recorded once as `skipped`. Deliveries are
 * unique per (template, event key + route): emitting an event again adds
 * nothing. Returns the number of deliveries written.
 */
export async function enqueueNotification(tx: DbOrTx, events: NotificationEvent | NotificationEvent[]): Promise<number> {
	const list = (Array.isArray(events) ? events : [events]).map(checkEvent);
	if (!list.length) return 0;
	const routes = await loadRoutes(tx, [...new Set(list.map((e) => e.tenantId))]);
	const rows: Row[] = [];
	const digestItems: { tenantId: string; eventKey: string; data: Record<string, unknown> }[] = [];
	for (const e of list) {
		const settings = routes.settings.get(e.tenantId);
		const recipients = [...new Set((e.recipients ?? settings?.recipients[e.type] ?? []).map((r) => r.toLowerCase()))];
		const base = { tenant_id: e.tenantId, event_type: e.type, payload: e.payload, endpoint_id: null, endpoint_url: null, recipient: null, skip_reason: null };
		let routed = false;
		if (e.type === 'certificate.issued' && settings && settings.digest !== 'off' && recipients.length && e.tenantId) {
			digestItems.push({ tenantId: e.tenantId, eventKey: e.key, data: e.payload.data });
			routed = true;
		} else {
			for (const recipient of recipients) {
				rows.push({ ...base, channel: 'mail', template_id: `mail:${e.type}`, idempotency_key: `${e.key}/mail:${recipient}`, recipient, status: 'pending' });
				routed = true;
			}
		}
		for (const ep of routes.endpoints) {
			if (ep.tenantId !== e.tenantId || !ep.events.includes(e.type)) continue;
			rows.push({ ...base, channel: 'webhook', template_id: `webhook:${e.type}`, idempotency_key: `${e.key}/webhook:${ep.id}`, endpoint_id: ep.id, endpoint_url: ep.url, status: 'pending' });
			routed = true;
		}
		if (!routed) rows.push({ ...base, channel: 'mail', template_id: `mail:${e.type}`, idempotency_key: `${e.key}/none`, status: 'skipped', skip_reason: SKIP_NO_ROUTE });
	}
	const [written] = await Promise.all([insertDeliveries(tx, rows), insertDigestItems(tx, digestItems)]);
	return written;
}

/** Inserts delivery rows (duplicates of an earlier emission are dropped) and NOTIFYs when one is due; one statement. */
export async function insertDeliveries(tx: DbOrTx, rows: Row[]): Promise<number> {
	if (!rows.length) return 0;
	const [result] = await tx.execute<{ inserted: number }>(sql`
		with ins as (
			insert into ${notificationDeliveries} (tenant_id, event_type, channel, template_id, idempotency_key, recipient, endpoint_id, endpoint_url, status, payload, skip_reason, next_attempt_at)
			select r.tenant_id, r.event_type, r.channel, r.template_id, r.idempotency_key, r.recipient, r.endpoint_id, r.endpoint_url, r.status, r.payload, r.skip_reason,
				case when r.status = 'pending' then now() end
			from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(tenant_id uuid, event_type text, channel text, template_id text, idempotency_key text,
				recipient text, endpoint_id uuid, endpoint_url text, status text, payload jsonb, skip_reason text)
			on conflict (template_id, idempotency_key) do nothing
			returning status
		),
		wake as (select pg_notify(${WAKE_CHANNEL}::text, '') from ins where status = 'pending' limit 1)
		select (select count(*) from ins)::int as inserted, (select count(*) from wake)::int as woke`);
	return result?.inserted ?? 0;
}

async function insertDigestItems(tx: DbOrTx, items: { tenantId: string; eventKey: string; data: Record<string, unknown> }[]): Promise<void> {
	if (!items.length) return;
	await tx.insert(notificationDigestItems).values(items).onConflictDoNothing();
}

export type { Row as DeliveryInsert };
