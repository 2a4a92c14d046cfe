import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Live events per tenant (proof state changes, worker progress). Kept for a
 * while so a reconnecting browser can ask for what it missed with
 * Last-Event-ID (WHATWG HTML, server-sent events §9.2).
 */
export const tenantEvents = pgTable(
	'tenant_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		tenantId: uuid('tenant_id').notNull(),
		type: text('type').notNull(),
		data: jsonb('data').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('tenant_events_tenant_id_idx').on(t.tenantId, t.id)]
);

export type TenantEvent = typeof tenantEvents.$inferSelect;
