import { sql } from 'drizzle-orm';
import { bigint, check, customType, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * The transparency log's Merkle tree (RFC 9162 §2.1), stored as
 * every complete aligned subtree: node (level, idx) covers leaves
 * [idx·2^level, (idx+1)·2^level). Level 0 holds the leaf hashes
 * SHA-256(0x00 ‖ canonical certificate record). Any inclusion or consistency
 * proof is a fold of O(log n) of these rows, read in one query. Rows are
 * written once by the sequencer and never change.
 */
export const logNodes = pgTable(
	'log_nodes',
	{
		level: smallint('level').notNull(),
		idx: bigint('idx', { mode: 'number' }).notNull(),
		hash: bytea('hash').notNull()
	},
	(t) => [
		primaryKey({ columns: [t.level, t.idx] }),
		// a leaf is appended once: the sequencer finds an existing leaf by its hash (idempotent appends)
		uniqueIndex('log_nodes_leaf_hash_key').on(t.hash).where(sql`${t.level} = 0`),
		check('log_nodes_level_check', sql`${t.level} between 0 and 62 and ${t.idx} >= 0`)
	]
);

/** One signed checkpoint (C2SP signed note) per tree size the sequencer published. */
export const logCheckpoints = pgTable('log_checkpoints', {
	treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
	rootHash: bytea('root_hash').notNull(),
	note: text('note').notNull(),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

export type LogCheckpointRow = typeof logCheckpoints.$inferSelect;

/**
 * The data of each leaf (C2SP tlog-tiles entry bundles are built from it):
 * leaf idx's hash is SHA-256(0x00 ‖ data). Written with its leaf, never changed.
 * Leaves appended before this table existed have no row.
 */
export const logEntries = pgTable('log_entries', {
	idx: bigint('idx', { mode: 'number' }).primaryKey(),
	data: bytea('data').notNull()
});

/**
 * Witness cosignatures of published checkpoints (C2SP tlog-cosignature), one
 * per witness key and tree size: the note signature line as the witness
 * returned it, verified against the configured key before it is stored.
 */
export const logCosignatures = pgTable(
	'log_cosignatures',
	{
		treeSize: bigint('tree_size', { mode: 'number' })
			.notNull()
			.references(() => logCheckpoints.treeSize),
		/** the witness's verifier key (name+key ID+key) */
		witness: text('witness').notNull(),
		/** POSIX seconds the witness put in the cosignature */
		cosignedAt: bigint('cosigned_at', { mode: 'number' }).notNull(),
		line: text('line').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.treeSize, t.witness] })]
);
