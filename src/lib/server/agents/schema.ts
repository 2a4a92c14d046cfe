import { sql } from 'drizzle-orm';
import { check, index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from '../tenancy/schema';

/**
 * Single-use enrolment tokens. Only the SHA-256 of the token is
 * stored: a database dump does not let anyone enrol an agent. A token is spent
 * by setting `used_at` in the same transaction that creates the agent.
 */
export const agentEnrolmentTokens = pgTable(
	'agent_enrolment_tokens',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		/** hex SHA-256 of the token handed out once */
		tokenHash: text('token_hash').notNull(),
		/** the name the agent will carry (e.g. the station it runs on) */
		name: text('name').notNull(),
		createdByKind: text('created_by_kind').notNull(),
		createdById: text('created_by_id').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		usedAt: timestamp('used_at', { withTimezone: true }),
		agentId: uuid('agent_id')
	},
	(t) => [uniqueIndex('agent_enrolment_tokens_hash_key').on(t.tokenHash), index('agent_enrolment_tokens_tenant_idx').on(t.tenantId, t.createdAt)]
);

export const AGENT_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * Enrolled agents. The id is the RFC 9421 `keyid` of the agent's requests; the
 * certificate (issued by the tenant's agent CA at enrolment) carries the key
 * that verifies them and the proofs' CMS signatures. A revoked agent stays
 * (with its time) so proofs received before the revocation still validate.
 */
export const agents = pgTable(
	'agents',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'cascade' }),
		name: text('name').notNull(),
		/** lower-case hex serial number of the agent certificate */
		certificateSerial: text('certificate_serial').notNull(),
		certificatePem: text('certificate_pem').notNull(),
		/** base64 DER SubjectPublicKeyInfo (P-256) of the certificate, for request signatures */
		publicKeySpki: text('public_key_spki').notNull(),
		status: text('status', { enum: AGENT_STATUSES }).notNull().default('active'),
		enrolledAt: timestamp('enrolled_at', { withTimezone: true }).notNull().defaultNow(),
		suspendedAt: timestamp('suspended_at', { withTimezone: true }),
		revokedAt: timestamp('revoked_at', { withTimezone: true }),
		revocationReason: text('revocation_reason'),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('agents_certificate_serial_key').on(t.certificateSerial),
		index('agents_tenant_idx').on(t.tenantId, t.enrolledAt),
		check('agents_status_check', sql`${t.status} in ('active', 'suspended', 'revoked')`),
		check('agents_revoked_has_time', sql`${t.status} <> 'revoked' or ${t.revokedAt} is not null`)
	]
);

/**
 * Last request per agent, in its own table so the least-privilege ingest role
 * can record it without being able to UPDATE `agents` (and un-revoke one).
 */
export const agentActivity = pgTable('agent_activity', {
	agentId: uuid('agent_id')
		.primaryKey()
		.references(() => agents.id, { onDelete: 'cascade' }),
	lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull()
});

/**
 * Nonces of signed agent requests (RFC 9421 §7.2.2 replay): a nonce is
 * accepted once per agent; rows older than AGENT_SIGNATURE_WINDOW can go,
 * because a signature that old is refused by its `created` time anyway.
 */
export const agentRequestNonces = pgTable(
	'agent_request_nonces',
	{
		agentId: uuid('agent_id').notNull(),
		nonce: text('nonce').notNull(),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [primaryKey({ columns: [t.agentId, t.nonce] }), index('agent_request_nonces_created_idx').on(t.createdAt)]
);

export type Agent = typeof agents.$inferSelect;
export type AgentEnrolmentToken = typeof agentEnrolmentTokens.$inferSelect;
