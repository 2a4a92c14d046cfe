import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Fixed-window request counters. One row per bucket, client and
 * window; a request is one UPSERT that increments and returns the count, so the
 * check is atomic across every process sharing the database (no in-memory
 * counters). Rows past `expires_at` are purged by the maintenance task
 * `purge_rate_limits`.
 */
export const rateLimitCounters = pgTable(
	'rate_limit_counters',
	{
		bucket: text('bucket').notNull(),
		/** the client address (IPv6 reduced to its /64) */
		subject: text('subject').notNull(),
		windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
		hits: integer('hits').notNull(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull()
	},
	(t) => [primaryKey({ columns: [t.bucket, t.subject, t.windowStart] }), index('rate_limit_counters_expires_idx').on(t.expiresAt)]
);
