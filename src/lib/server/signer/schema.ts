import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Keyring leases across processes: every process with an
 * in-process keyring over one DATA_DIR/keys takes a key for a batch by setting
 * `holder` on its row, and only on a row nobody holds (or whose lease ran out:
 * its holder died). `last_used_at` orders the free keys least recently used first.
 */
export const signerKeyLeases = pgTable('signer_key_leases', {
	keyId: text('key_id').primaryKey(),
	holder: text('holder'),
	leasedAt: timestamp('leased_at', { withTimezone: true }),
	leasedUntil: timestamp('leased_until', { withTimezone: true }),
	lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
	batches: integer('batches').notNull().default(0)
});

/**
 * One receipt signature per record, ever ("a record is never
 * signed twice"): a worker first reserves the record (primary key), signs only
 * what it reserved, then stores the signature. A reservation of a worker that
 * died runs out (`reserved_until`) and can be taken over.
 */
export const signerReceipts = pgTable('signer_receipts', {
	recordId: text('record_id').primaryKey(),
	holder: text('holder').notNull(),
	reservedUntil: timestamp('reserved_until', { withTimezone: true }).notNull(),
	keyId: text('key_id'),
	algorithm: text('algorithm'),
	signature: text('signature'),
	signedAt: timestamp('signed_at', { withTimezone: true })
});
