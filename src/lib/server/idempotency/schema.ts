import { index, integer, json, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Stored answers of requests that carried an `Idempotency-Key`
 * (draft-ietf-httpapi-idempotency-key-header: every
 * POST/PUT/PATCH/DELETE is safe to retry). The row is inserted and filled in
 * the SAME transaction as the change it describes, so a crash leaves either
 * both or neither; a concurrent duplicate waits on the uncommitted row's
 * unique-index entry. Purged after `expires_at` (IDEMPOTENCY_TTL) by the
 * maintenance task `purge_idempotency_keys`.
 */
export const idempotencyKeys = pgTable(
	'idempotency_keys',
	{
		/** who may replay: tenant/actor (or agent), so two callers never share a key space */
		scope: text('scope').notNull(),
		key: text('key').notNull(),
		method: text('method').notNull(),
		path: text('path').notNull(),
		/** hex SHA-256 of what identifies the request (body, relevant parameters) */
		requestHash: text('request_hash').notNull(),
		status: integer('status'),
		/** `json`, not `jsonb`: a replay returns the body as first sent, key order included */
		body: json('body'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
	},
	(t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)]
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
