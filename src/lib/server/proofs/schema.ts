import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema';
import { tenants } from '../tenancy/schema';

/** The states of a proof: docs/architecture.md, "The life of a proof". */
export const PROOF_STATUSES = [
	'RECEIVED',
	'VALIDATING',
	'CERTIFIED_PENDING_ANCHOR',
	'CERTIFIED',
	'CERTIFIED_NO_ANCHOR',
	'REJECTED',
	'FAILED_RETRYABLE'
] as const;
export type ProofStatus = (typeof PROOF_STATUSES)[number];

/** `nwipe-log`: an nwipe log uploaded in the dashboard, attested by the operator (no agent signature). */
export const PROOF_SOURCES = ['ingest', 'api', 'bulk', 'nwipe-log'] as const;
export type ProofSource = (typeof PROOF_SOURCES)[number];

const statusList = sql.raw(PROOF_STATUSES.map((s) => `'${s}'`).join(', '));

/**
 * One submitted proof. `public_id` is what every API and page shows (random,
 * URL-safe); `id` never leaves the server. The DER bytes live in object
 * storage under `object_key`; `content_sha256` (of those bytes) makes a second
 * upload of the same file return the existing proof, and `content_hmac` (of the
 * canonical report, keyed by the signer) finds the same erasure report sent
 * again in a different envelope, by another agent too.
 */
export const proofs = pgTable(
	'proofs',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		publicId: text('public_id').notNull(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'restrict' }),
		/** the agent whose key signed the proof (known after validation), or that submitted it over /ingest/v1 */
		agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'restrict' }),
		source: text('source', { enum: PROOF_SOURCES }).notNull(),
		submitterKind: text('submitter_kind').notNull(),
		submitterId: text('submitter_id').notNull(),
		filename: text('filename'),
		sizeBytes: integer('size_bytes').notNull(),
		contentSha256: text('content_sha256').notNull(),
		contentHmac: text('content_hmac'),
		objectKey: text('object_key').notNull(),
		/** when retention deleted the raw proof file (RETENTION_PROOF_DAYS); the row and its certificate stay */
		objectPurgedAt: timestamp('object_purged_at', { withTimezone: true }),
		status: text('status', { enum: PROOF_STATUSES }).notNull().default('RECEIVED'),
		rejectionCode: text('rejection_code'),
		rejectionDetail: text('rejection_detail'),
		/** times the worker took the proof up */
		attempts: integer('attempts').notNull().default(0),
		/** FAILED_RETRYABLE rounds so far (backoff exponent) */
		retries: integer('retries').notNull().default(0),
		nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
		claimedBy: text('claimed_by'),
		claimedUntil: timestamp('claimed_until', { withTimezone: true }),
		lastError: text('last_error'),
		/** device and result summary from the report, for lists and search (after validation) */
		summary: jsonb('summary'),
		deviceSerial: text('device_serial'),
		assetTag: text('asset_tag'),
		receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		completedAt: timestamp('completed_at', { withTimezone: true })
	},
	(t) => [
		uniqueIndex('proofs_public_id_key').on(t.publicId),
		uniqueIndex('proofs_tenant_content_key').on(t.tenantId, t.contentSha256),
		// one certified proof per report and tenant (duplicate detection across agents)
		uniqueIndex('proofs_tenant_hmac_key').on(t.tenantId, t.contentHmac).where(sql`${t.contentHmac} is not null`),
		index('proofs_tenant_received_idx').on(t.tenantId, t.receivedAt, t.id),
		index('proofs_tenant_status_idx').on(t.tenantId, t.status),
		index('proofs_tenant_serial_idx').on(t.tenantId, t.deviceSerial),
		index('proofs_tenant_asset_idx').on(t.tenantId, t.assetTag),
		// what the worker and the retry sweep look for
		index('proofs_open_idx').on(t.status, t.receivedAt).where(sql`${t.status} in ('RECEIVED', 'VALIDATING', 'FAILED_RETRYABLE')`),
		check('proofs_status_check', sql`${t.status} in (${statusList})`),
		check('proofs_rejected_has_code', sql`${t.status} <> 'REJECTED' or ${t.rejectionCode} is not null`)
	]
);

/** The state timeline of a proof (dashboard proof detail), one row per change. */
export const proofEvents = pgTable(
	'proof_events',
	{
		id: bigserial('id', { mode: 'number' }).primaryKey(),
		proofId: uuid('proof_id')
			.notNull()
			.references(() => proofs.id, { onDelete: 'cascade' }),
		tenantId: uuid('tenant_id').notNull(),
		fromStatus: text('from_status'),
		toStatus: text('to_status').notNull(),
		code: text('code'),
		detail: text('detail'),
		/** who made the change: `worker:<pid>`, `agent:<id>`, `user:<id>`… */
		actor: text('actor').notNull(),
		at: timestamp('at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		index('proof_events_proof_idx').on(t.proofId, t.id),
		// monthly reports: rejections and anchorings of a period (a small share of the timeline)
		index('proof_events_tenant_final_idx').on(t.tenantId, t.toStatus, t.at).where(sql`${t.toStatus} in ('REJECTED', 'CERTIFIED')`)
	]
);

export type Proof = typeof proofs.$inferSelect;
export type ProofEvent = typeof proofEvents.$inferSelect;
