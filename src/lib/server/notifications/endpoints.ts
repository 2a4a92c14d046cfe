import { randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { TEST_EVENT, TENANT_EVENT_TYPES } from './catalogue';
import { afterCursor, cursorAt, page } from './cursor';
import { deliveryView, type DeliveryView } from './deliveries';
import { insertDeliveries } from './outbox';
import { notificationDeliveries, webhookEndpoints, type WebhookEndpointRow } from './schema';
import { checkWebhookUrl, type Lookup, type OutboundPolicy } from './ssrf';
import { newSecret, sealSecret, type SecretBox } from './signing';

/** Who acts, for the audit rows (the `recordAudit` entry minus what the change itself knows). */
export type Actor = { actor: { kind: string; id: string; role: string } | null; correlationId: string; sourceIp: string | null };

export type EndpointDeps = {
	/** seals the signing secrets at rest */
	secrets: SecretBox;
	policy: OutboundPolicy;
	/** WEBHOOK_SECRET_OVERLAP: seconds the previous secret still signs after a rotation */
	secretOverlapSeconds: number;
	lookup?: Lookup;
};

export type WebhookEndpointView = {
	id: string;
	url: string;
	description: string;
	events: string[];
	enabled: boolean;
	disabledReason: string | null;
	secretRotatedAt: string | null;
	previousSecretExpiresAt: string | null;
	createdAt: string;
	updatedAt: string;
};

export function endpointView(e: WebhookEndpointRow): WebhookEndpointView {
	const overlap = e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt.toISOString() : null;
	return {
		id: e.id,
		url: e.url,
		description: e.description,
		events: e.events,
		enabled: e.enabled,
		disabledReason: e.disabledReason,
		secretRotatedAt: e.secretRotatedAt?.toISOString() ?? null,
		previousSecretExpiresAt: overlap,
		createdAt: e.createdAt.toISOString(),
		updatedAt: e.updatedAt.toISOString()
	};
}

function checkEvents(events: string[]): string[] {
	const unknown = events.filter((e) => !(TENANT_EVENT_TYPES as string[]).includes(e));
	if (unknown.length) throw new ApiError('validation_failed', undefined, [{ field: 'events', problem: `not tenant events: ${unknown.join(', ')}` }]);
	if (!events.length) throw new ApiError('validation_failed', undefined, [{ field: 'events', problem: 'choose at least one event' }]);
	return [...new Set(events)].sort();
}

async function endpointRow(db: DbOrTx, tenantId: string, id: string, lock = false): Promise<WebhookEndpointRow> {
	const q = db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
	const [row] = lock ? await q.for('update') : await q;
	if (!row) throw new ApiError('not_found', 'No webhook endpoint with this id in your tenant.');
	return row;
}

export async function listEndpoints(db: DbOrTx, tenantId: string, p: { cursor?: string; limit: number }) {
	const rows = await db
		.select({ row: webhookEndpoints, cursorAt: cursorAt(webhookEndpoints.createdAt) })
		.from(webhookEndpoints)
		.where(and(eq(webhookEndpoints.tenantId, tenantId), afterCursor(p.cursor, webhookEndpoints.createdAt, webhookEndpoints.id)))
		.orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
		.limit(p.limit + 1);
	const { items, nextCursor } = page(rows.map((r) => ({ id: r.row.id, cursorAt: r.cursorAt, row: r.row })), p.limit);
	return { items: items.map((i) => endpointView(i.row)), nextCursor };
}

export async function getEndpoint(db: DbOrTx, tenantId: string, id: string): Promise<WebhookEndpointView> {
	return endpointView(await endpointRow(db, tenantId, id));
}

const audit = (tx: Tx, tenantId: string, ctx: Actor, action: string, id: string, details: Record<string, unknown>) =>
	recordAudit(tx, { ...ctx, tenantId, action, target: `webhook:${id}`, result: 'success', details });

/**
 * Registers an endpoint: the URL must pass the outbound address policy
 * (400 `webhook_url_refused`), and a new Standard Webhooks secret is made.
 * The secret is in this answer only; it is stored encrypted. Audited.
 */
export async function createEndpoint(
	tx: Tx,
	tenantId: string,
	input: { url: string; events: string[]; description?: string; enabled?: boolean },
	deps: EndpointDeps,
	ctx: Actor
): Promise<WebhookEndpointView & { secret: string }> {
	const url = await checkWebhookUrl(input.url, deps.policy, deps.lookup);
	const events = checkEvents(input.events);
	const id = randomUUID();
	const secret = newSecret();
	const sealed = sealSecret(deps.secrets, id, secret);
	const [row] = await tx
		.insert(webhookEndpoints)
		.values({ id, tenantId, url, events, description: input.description?.trim() ?? '', enabled: input.enabled ?? true, secretKeyId: sealed.keyId, secret: sealed.data })
		.returning();
	await audit(tx, tenantId, ctx, 'webhook.create', id, { host: new URL(url).host, events });
	return { ...endpointView(row), secret };
}

/** Changes URL, events, description or enabled (a new URL is checked like a new one; enabling clears the 410 note). Audited. */
export async function updateEndpoint(
	tx: Tx,
	tenantId: string,
	id: string,
	change: { url?: string; events?: string[]; description?: string; enabled?: boolean },
	deps: EndpointDeps,
	ctx: Actor
): Promise<WebhookEndpointView> {
	const before = await endpointRow(tx, tenantId, id, true);
	const set: Partial<typeof webhookEndpoints.$inferInsert> = {};
	if (change.url !== undefined) set.url = await checkWebhookUrl(change.url, deps.policy, deps.lookup);
	if (change.events !== undefined) set.events = checkEvents(change.events);
	if (change.description !== undefined) set.description = change.description.trim();
	if (change.enabled !== undefined) {
		set.enabled = change.enabled;
		if (change.enabled) set.disabledReason = null;
	}
	if (!Object.keys(set).length) return endpointView(before);
	const [after] = await tx.update(webhookEndpoints).set({ ...set, updatedAt: sql`now()` }).where(eq(webhookEndpoints.id, id)).returning();
	await audit(tx, tenantId, ctx, 'webhook.update', id, {
		...(set.url ? { host: { before: new URL(before.url).host, after: new URL(after.url).host } } : {}),
		...(set.events ? { events: after.events } : {}),
		...(set.enabled !== undefined ? { enabled: after.enabled } : {})
	});
	return endpointView(after);
}

/** Deletes an endpoint; its deliveries stay in the log (their sends are skipped from now on). Audited. */
export async function deleteEndpoint(tx: Tx, tenantId: string, id: string, ctx: Actor): Promise<void> {
	const row = await endpointRow(tx, tenantId, id, true);
	await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
	await audit(tx, tenantId, ctx, 'webhook.delete', id, { host: new URL(row.url).host });
}

/**
 * A new secret, shown once. The old one keeps signing next to it for
 * WEBHOOK_SECRET_OVERLAP seconds (two `v1,` signatures), so a receiver can
 * switch without rejecting a message. Audited.
 */
export async function rotateSecret(tx: Tx, tenantId: string, id: string, deps: EndpointDeps, ctx: Actor): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
	const row = await endpointRow(tx, tenantId, id, true);
	const secret = newSecret();
	const sealed = sealSecret(deps.secrets, id, secret);
	const expires = deps.secretOverlapSeconds > 0 ? new Date(Date.now() + deps.secretOverlapSeconds * 1000) : null;
	await tx
		.update(webhookEndpoints)
		.set({
			secretKeyId: sealed.keyId,
			secret: sealed.data,
			previousSecretKeyId: expires ? row.secretKeyId : null,
			previousSecret: expires ? row.secret : null,
			previousSecretExpiresAt: expires,
			secretRotatedAt: sql`now()`,
			updatedAt: sql`now()`
		})
		.where(eq(webhookEndpoints.id, id));
	await audit(tx, tenantId, ctx, 'webhook.rotate_secret', id, { overlapSeconds: deps.secretOverlapSeconds });
	return { secret, previousSecretExpiresAt: expires?.toISOString() ?? null };
}

/** Queues a `webhook.test` message to one enabled endpoint and answers its delivery (follow it in the log). */
export async function sendTestEvent(tx: Tx, tenantId: string, id: string): Promise<DeliveryView> {
	const ep = await endpointRow(tx, tenantId, id);
	if (!ep.enabled) throw new ApiError('conflict', 'This endpoint is disabled; enable it to send it a test message.');
	const key = `test:${randomUUID()}`;
	await insertDeliveries(tx, [
		{
			tenant_id: tenantId,
			event_type: TEST_EVENT,
			channel: 'webhook',
			template_id: `webhook:${TEST_EVENT}`,
			idempotency_key: `${key}/webhook:${ep.id}`,
			recipient: null,
			endpoint_id: ep.id,
			endpoint_url: ep.url,
			status: 'pending',
			payload: { occurredAt: new Date().toISOString(), data: { message: 'A test message from WipeCert: signatures and delivery work.', endpointId: ep.id } },
			skip_reason: null
		}
	]);
	const [row] = await tx
		.select()
		.from(notificationDeliveries)
		.where(and(eq(notificationDeliveries.templateId, `webhook:${TEST_EVENT}`), eq(notificationDeliveries.idempotencyKey, `${key}/webhook:${ep.id}`)));
	return deliveryView(row);
}
