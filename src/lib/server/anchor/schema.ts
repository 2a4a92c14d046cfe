import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { certificates } from '../certificates/schema';

/**
 * An anchor's life (one row = one transaction, one nonce of the chain account):
 * `signed` (stored before it is broadcast, so a crash re-broadcasts the same
 * bytes), `sent`, `included` (receipt seen, fewer than CHAIN_CONFIRMATIONS),
 * `confirmed` (its certificates are CERTIFIED; the block hash is still
 * re-checked), `final` (CHAIN_FINALITY_BLOCKS deep, no longer checked);
 * `reverted` (the contract refused it, e.g. a stale tree size) and `dropped`
 * (its nonce went to another transaction) are ends without an anchor.
 */
export const ANCHOR_STATUSES = ['signed', 'sent', 'included', 'confirmed', 'final', 'reverted', 'dropped'] as const;
export type AnchorStatus = (typeof ANCHOR_STATUSES)[number];
export const OPEN_ANCHOR_STATUSES = ['signed', 'sent', 'included', 'confirmed'] as const satisfies readonly AnchorStatus[];

const statusList = sql.raw(ANCHOR_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * Transactions that anchor a signed log checkpoint (origin, tree size, root
 * hash) in the WipeCertAnchor contract. One per nonce of the account, and at
 * most one live anchor per tree size: a crash can neither send a second
 * transaction for a nonce nor a second anchor of a checkpoint.
 */
export const anchors = pgTable(
	'anchors',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		chainId: bigint('chain_id', { mode: 'number' }).notNull(),
		/** lower-case hex addresses */
		contract: text('contract').notNull(),
		fromAddress: text('from_address').notNull(),
		/** the log's origin line, the checkpoint's tree size and its root (hex, 0x…) */
		origin: text('origin').notNull(),
		treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
		rootHash: text('root_hash').notNull(),
		nonce: bigint('nonce', { mode: 'number' }).notNull(),
		txHash: text('tx_hash').notNull(),
		rawTx: text('raw_tx').notNull(),
		status: text('status', { enum: ANCHOR_STATUSES }).notNull().default('signed'),
		blockNumber: bigint('block_number', { mode: 'number' }),
		blockHash: text('block_hash'),
		blockTime: timestamp('block_time', { withTimezone: true }),
		gasUsed: bigint('gas_used', { mode: 'number' }),
		/** wei paid (gas used × effective gas price), as a decimal string */
		feeWei: text('fee_wei'),
		/** times the block that held it left the chain */
		reorgs: integer('reorgs').notNull().default(0),
		lastError: text('last_error'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		sentAt: timestamp('sent_at', { withTimezone: true }),
		confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('anchors_nonce_key').on(t.chainId, t.fromAddress, t.nonce),
		uniqueIndex('anchors_tx_hash_key').on(t.txHash),
		uniqueIndex('anchors_live_tree_size_key').on(t.chainId, t.contract, t.origin, t.treeSize).where(sql`${t.status} not in ('reverted', 'dropped')`),
		index('anchors_open_idx').on(t.status, t.nonce).where(sql`${t.status} in ('signed', 'sent', 'included', 'confirmed')`),
		check('anchors_status_check', sql`${t.status} in (${statusList})`)
	]
);

/**
 * Certificates handed to anchoring (`certificates.to_anchor`) and the
 * confirmed anchor that covers each (tree size > leaf index), with the
 * inclusion proof of its leaf to that anchor's root. `anchor_id` null: waiting.
 * One row per certificate, so no certificate is ever anchored twice.
 * `pdf_anchor_id`: the anchor its newest PDF shows.
 */
export const anchorCertificates = pgTable(
	'anchor_certificates',
	{
		certificateId: uuid('certificate_id')
			.primaryKey()
			.references(() => certificates.id, { onDelete: 'cascade' }),
		publicId: text('public_id').notNull(),
		proofId: uuid('proof_id').notNull(),
		leafIndex: bigint('leaf_index', { mode: 'number' }).notNull(),
		anchorId: bigint('anchor_id', { mode: 'number' }).references(() => anchors.id, { onDelete: 'restrict' }),
		/** base64 RFC 9162 inclusion proof of the leaf in the anchored tree */
		inclusion: jsonb('inclusion').$type<string[]>(),
		queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
		anchoredAt: timestamp('anchored_at', { withTimezone: true }),
		pdfAnchorId: bigint('pdf_anchor_id', { mode: 'number' })
	},
	(t) => [
		uniqueIndex('anchor_certificates_public_id_key').on(t.publicId),
		index('anchor_certificates_waiting_idx').on(t.leafIndex).where(sql`${t.anchorId} is null`),
		index('anchor_certificates_anchor_idx').on(t.anchorId),
		index('anchor_certificates_pdf_due_idx').on(t.anchorId).where(sql`${t.anchorId} is not null and ${t.pdfAnchorId} is distinct from ${t.anchorId}`)
	]
);

/** An anchor's own history (signed, sent, included, confirmed, reorganised away, re-sent, final…): the operator's and the tests' timeline. */
export const anchorEvents = pgTable(
	'anchor_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		anchorId: bigint('anchor_id', { mode: 'number' })
			.notNull()
			.references(() => anchors.id, { onDelete: 'cascade' }),
		kind: text('kind').notNull(),
		blockNumber: bigint('block_number', { mode: 'number' }),
		blockHash: text('block_hash'),
		detail: text('detail'),
		at: timestamp('at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [index('anchor_events_anchor_idx').on(t.anchorId, t.id)]
);

/** Next nonce of the chain account, persisted so restarts and kill -9 never reuse one; reconciled with the node's pending count. */
export const chainNonces = pgTable(
	'chain_nonces',
	{
		chainId: bigint('chain_id', { mode: 'number' }).notNull(),
		address: text('address').notNull(),
		nextNonce: bigint('next_nonce', { mode: 'number' }).notNull(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.chainId, t.address] })]
);

/**
 * The anchor worker's one state row: when its next wake-up job is due (so
 * certificate jobs schedule one wake-up, not one each), when it last
 * submitted (ANCHOR_INTERVAL), and the last chain failure the console shows.
 */
export const anchorState = pgTable(
	'anchor_state',
	{
		id: smallint('id').primaryKey().default(1),
		wakeAt: timestamp('wake_at', { withTimezone: true }),
		lastSubmittedAt: timestamp('last_submitted_at', { withTimezone: true }),
		lastError: text('last_error'),
		lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
		failures: integer('failures').notNull().default(0),
		lastSuccessAt: timestamp('last_success_at', { withTimezone: true })
	},
	(t) => [check('anchor_state_one_row', sql`${t.id} = 1`)]
);

export type Anchor = typeof anchors.$inferSelect;
export type AnchorCertificate = typeof anchorCertificates.$inferSelect;
export type AnchorEvent = typeof anchorEvents.$inferSelect;
