import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The audit trail ("Every privileged mutation writes an
 * audit row … hash-chained to the previous row").
 *
 * Append-only: a trigger (migration `audit_append_only`) refuses UPDATE, DELETE
 * and TRUNCATE, so only someone who can disable triggers (the table owner or a
 * superuser) can tamper, and `verifyAuditChain` then finds it.
 *
 * Chains: one per tenant (`chain` = the tenant id) plus one platform chain
 * (`chain` = 'platform') for rows without a tenant. Why not one global chain:
 * (1) a tenant's auditor can verify and export their own chain without being
 * shown other tenants' rows or hashes; (2) appends of different tenants do not
 * queue behind one lock, so one busy tenant does not slow every other tenant's
 * mutations; (3) a tenant's rows can be exported or archived as a unit.
 * The price — no single head for the whole platform — is paid by
 * `auditChainHeads()`, which lists every head so they can be published or
 * anchored together.
 */
export const auditEvents = pgTable(
	'audit_events',
	{
		/** global insertion order; the list cursor */
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		/** tenant id, or 'platform' */
		chain: text('chain').notNull(),
		/** 1, 2, 3, … within the chain, no gaps */
		seq: bigint('seq', { mode: 'number' }).notNull(),
		tenantId: uuid('tenant_id'),
		actorKind: text('actor_kind'),
		actorId: text('actor_id'),
		actorRole: text('actor_role'),
		action: text('action').notNull(),
		target: text('target').notNull(),
		result: text('result', { enum: ['success', 'failure'] }).notNull(),
		correlationId: text('correlation_id').notNull(),
		sourceIp: text('source_ip'),
		details: jsonb('details').$type<Record<string, unknown>>().notNull(),
		/** set by the app (millisecond precision) because it is part of the hashed row */
		createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
		/** hex SHA-256 of the previous row of the chain; 64 zeros for seq 1 */
		prevHash: text('prev_hash').notNull(),
		/** hex SHA-256(prev_hash bytes ‖ canonical row) */
		hash: text('hash').notNull()
	},
	(t) => [
		uniqueIndex('audit_events_chain_seq_key').on(t.chain, t.seq),
		index('audit_events_tenant_id_idx').on(t.tenantId, t.id),
		index('audit_events_action_idx').on(t.action, t.id),
		check('audit_events_result_check', sql`${t.result} in ('success', 'failure')`),
		check('audit_events_hash_format', sql`${t.hash} ~ '^[0-9a-f]{64}$' and ${t.prevHash} ~ '^[0-9a-f]{64}$'`),
		check('audit_events_chain_matches_tenant', sql`${t.chain} = coalesce(${t.tenantId}::text, 'platform')`)
	]
);

/**
 * The newest row of each chain. Appends lock this row (UPSERT) so concurrent
 * writers of one chain queue up instead of forking it; verification compares it
 * with the last row, so deleting the tail of a chain is found too.
 */
export const auditChainHeads = pgTable('audit_chain_heads', {
	chain: text('chain').primaryKey(),
	seq: bigint('seq', { mode: 'number' }).notNull(),
	hash: text('hash').notNull(),
	updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type AuditChainHead = typeof auditChainHeads.$inferSelect;
