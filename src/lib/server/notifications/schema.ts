import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, customType, index, integer, jsonb, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenancy/schema';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

export const DELIVERY_STATUSES = ['pending', 'retrying', 'sent', 'dead_lettered', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const CHANNELS = ['mail', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];
export const ATTEMPT_STATUSES = ['in_progress', 'succeeded', 'failed', 'interrupted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];
export const DIGEST_MODES = ['off', 'hourly', 'daily'] as const;
export type DigestMode = (typeof DIGEST_MODES)[number];

/**
 * Who gets which notification: one row per tenant, and one for the platform
 * (`tenant_id` null: the recipients of the `system.*` events). `recipients`
 * maps an event type to the mail addresses it goes to (read through a zod
 * parser); webhook endpoints choose their events themselves.
 */
export const notificationSettings = pgTable(
	'notification_settings',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
		/** display name of the From header of this tenant's mail (the address is SMTP_FROM) */
		senderName: text('sender_name'),
		/** `certificate.issued` mail one by one, or as an hourly or daily digest */
		digest: text('digest', { enum: DIGEST_MODES }).notNull().default('off'),
		recipients: jsonb('recipients').notNull().default({}),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		unique('notification_settings_tenant_key').on(t.tenantId).nullsNotDistinct(),
		check('notification_settings_digest_check', sql`${t.digest} in ('off', 'hourly', 'daily')`)
	]
);

/**
 * A tenant's webhook endpoint (Standard Webhooks). The signing secret is kept
 * encrypted (AES-256-GCM under TOKEN_ENCRYPTION_KEYS, bound to the endpoint
 * id) and shown once; after a rotation the previous secret keeps signing
 * until `previous_secret_expires_at`.
 */
export const webhookEndpoints = pgTable(
	'webhook_endpoints',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		url: text('url').notNull(),
		description: text('description').notNull().default(''),
		events: text('events').array().notNull(),
		enabled: boolean('enabled').notNull().default(true),
		/** why the platform disabled it (the receiver answered 410 Gone) */
		disabledReason: text('disabled_reason'),
		secretKeyId: text('secret_key_id').notNull(),
		secret: bytea('secret').notNull(),
		previousSecretKeyId: text('previous_secret_key_id'),
		previousSecret: bytea('previous_secret'),
		previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
		secretRotatedAt: timestamp('secret_rotated_at', { withTimezone: true }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId, t.createdAt, t.id)]
);

/**
 * The outbox: one row per event and route (a mail address or a webhook
 * endpoint), written in the transaction of the change that caused it. The
 * notifications worker claims due rows (SKIP LOCKED, with a lease), sends
 * them and records each attempt. UNIQUE(template_id, idempotency_key): an
 * event reaches a route once, however often its emitter runs.
 */
export const notificationDeliveries = pgTable(
	'notification_deliveries',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		/** null: a platform (`system.*`) notification */
		tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
		eventType: text('event_type').notNull(),
		channel: text('channel', { enum: CHANNELS }).notNull(),
		/** `<channel>:<event type>` (a digest: `mail:certificate.issued.digest`) */
		templateId: text('template_id').notNull(),
		/** `<event key>/<route>` */
		idempotencyKey: text('idempotency_key').notNull(),
		recipient: text('recipient'),
		endpointId: uuid('endpoint_id').references(() => webhookEndpoints.id, { onDelete: 'set null' }),
		/** the endpoint's URL when the event happened (the send uses the endpoint's current URL) */
		endpointUrl: text('endpoint_url'),
		status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
		/** `{ occurredAt, data }`, kept for retries and resends */
		payload: jsonb('payload').notNull(),
		/** number of the latest attempt; keeps counting across resends */
		attempts: integer('attempts').notNull().default(0),
		/** attempts since the delivery was created or last resent (NOTIFY_MAX_ATTEMPTS applies to these) */
		roundAttempts: integer('round_attempts').notNull().default(0),
		nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).defaultNow(),
		claimedBy: text('claimed_by'),
		claimedUntil: timestamp('claimed_until', { withTimezone: true }),
		lastError: text('last_error'),
		lastResponseCode: integer('last_response_code'),
		skipReason: text('skip_reason'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		sentAt: timestamp('sent_at', { withTimezone: true })
	},
	(t) => [
		uniqueIndex('notification_deliveries_template_key').on(t.templateId, t.idempotencyKey),
		index('notification_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'retrying')`),
		index('notification_deliveries_tenant_idx').on(t.tenantId, t.createdAt, t.id),
		index('notification_deliveries_status_idx').on(t.status, t.createdAt, t.id),
		index('notification_deliveries_endpoint_idx').on(t.endpointId),
		check('notification_deliveries_status_check', sql`${t.status} in ('pending', 'retrying', 'sent', 'dead_lettered', 'skipped')`),
		check('notification_deliveries_channel_check', sql`${t.channel} in ('mail', 'webhook')`),
		check('notification_deliveries_route_check', sql`${t.status} = 'skipped' or (${t.channel} = 'mail' and ${t.recipient} is not null) or (${t.channel} = 'webhook' and ${t.endpointUrl} is not null)`)
	]
);

/** Every attempt of a delivery, numbered 1, 2, … across resends (never reused). */
export const notificationAttempts = pgTable(
	'notification_attempts',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		deliveryId: uuid('delivery_id')
			.notNull()
			.references(() => notificationDeliveries.id, { onDelete: 'cascade' }),
		attemptNo: integer('attempt_no').notNull(),
		status: text('status', { enum: ATTEMPT_STATUSES }).notNull().default('in_progress'),
		worker: text('worker').notNull(),
		startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
		finishedAt: timestamp('finished_at', { withTimezone: true }),
		responseCode: integer('response_code'),
		latencyMs: integer('latency_ms'),
		error: text('error'),
		responseExcerpt: text('response_excerpt')
	},
	(t) => [
		uniqueIndex('notification_attempts_delivery_no_key').on(t.deliveryId, t.attemptNo),
		check('notification_attempts_status_check', sql`${t.status} in ('in_progress', 'succeeded', 'failed', 'interrupted')`)
	]
);

/**
 * `certificate.issued` events of tenants that chose a digest, waiting for the
 * next hourly or daily digest; `digest_key` is set in the transaction that
 * creates the digest's deliveries, so an item is in exactly one digest.
 */
export const notificationDigestItems = pgTable(
	'notification_digest_items',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		eventKey: text('event_key').notNull(),
		data: jsonb('data').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		digestKey: text('digest_key')
	},
	(t) => [
		uniqueIndex('notification_digest_items_event_key').on(t.tenantId, t.eventKey),
		index('notification_digest_items_open_idx').on(t.tenantId, t.id).where(sql`${t.digestKey} is null`)
	]
);

/** Mail caught by the local SMTP sink (SMTP_URL unset), newest MAIL_SINK_KEEP kept. */
export const mailSinkMessages = pgTable(
	'mail_sink_messages',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
		envelopeFrom: text('envelope_from'),
		envelopeTo: text('envelope_to').array().notNull(),
		subject: text('subject'),
		messageId: text('message_id'),
		html: text('html'),
		text: text('text'),
		headers: jsonb('headers').notNull(),
		raw: bytea('raw').notNull(),
		secure: boolean('secure').notNull()
	},
	(t) => [index('mail_sink_messages_received_idx').on(t.receivedAt, t.id)]
);

export type NotificationSettingsRow = typeof notificationSettings.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof notificationDeliveries.$inferSelect;
export type AttemptRow = typeof notificationAttempts.$inferSelect;
export type MailSinkRow = typeof mailSinkMessages.$inferSelect;
