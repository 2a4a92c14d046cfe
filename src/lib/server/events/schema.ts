import { sql } from 'drizzle-orm';
import { bigserial, customType, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit transaction id (never wraps around); read as its decimal text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

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
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		/**
		 * The writing transaction. Ids are taken before commit, so they commit out of
		 * order; a reader delivers only events of transactions older than its snapshot's
		 * xmin, in (xid, id) order, and so never skips one that commits late (see eventsSince).
		 */
		xid: xid8('xid')
			.notNull()
			.default(sql`pg_current_xact_id()`)
	},
	(t) => [index('tenant_events_tenant_id_idx').on(t.tenantId, t.id), index('tenant_events_tenant_xid_idx').on(t.tenantId, t.xid, t.id)]
);

export type TenantEvent = typeof tenantEvents.$inferSelect;
