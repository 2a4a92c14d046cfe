import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { proofs } from '../proofs/schema';
import type { CertificateRecord } from '../records/certificate-record';
import { tenants } from '../tenancy/schema';

/**
 * `issuing`: created with the licence consumption, receipt/log/PDF not done
 * yet (a crash resumes from here); `valid`: issued; `revoked`: withdrawn by
 * the tenant (reason and time kept; verification shows it).
 */
export const CERTIFICATE_STATUSES = ['issuing', 'valid', 'revoked'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * Certificate records. One per certified proof (unique
 * `proof_id`: a proof is never certified twice). `record` is the canonical
 * certificate record: what the receipt signs, what the transparency log's leaf
 * hashes and what the PDF shows. `public_id` is the id printed on the PDF and
 * in the verify URL: random, URL-safe, never a database id.
 */
export const certificates = pgTable(
	'certificates',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		publicId: text('public_id').notNull(),
		tenantId: uuid('tenant_id')
			.notNull()
			.references(() => tenants.id, { onDelete: 'restrict' }),
		proofId: uuid('proof_id')
			.notNull()
			.references(() => proofs.id, { onDelete: 'restrict' }),
		status: text('status', { enum: CERTIFICATE_STATUSES }).notNull().default('issuing'),
		record: jsonb('record').$type<CertificateRecord>().notNull(),
		/** hex SHA-256 of the canonical JSON of `record` */
		recordSha256: text('record_sha256').notNull(),
		/** signed receipt: signer key id and base64 signature over the canonical record */
		receiptKeyId: text('receipt_key_id'),
		receiptSignature: text('receipt_signature'),
		receiptAlgorithm: text('receipt_algorithm'),
		logIndex: bigint('log_index', { mode: 'number' }),
		pdfObjectKey: text('pdf_object_key'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		issuedAt: timestamp('issued_at', { withTimezone: true }),
		revokedAt: timestamp('revoked_at', { withTimezone: true }),
		revocationReason: text('revocation_reason'),
		revokedByKind: text('revoked_by_kind'),
		revokedById: text('revoked_by_id'),
		/**
		 * when maintenance replaced the record's personal fields (ANONYMISE_AFTER_DAYS).
		 * `record_sha256`, the receipt, the log leaf and the PDF keep the record as issued.
		 */
		anonymisedAt: timestamp('anonymised_at', { withTimezone: true })
	},
	(t) => [
		uniqueIndex('certificates_public_id_key').on(t.publicId),
		uniqueIndex('certificates_proof_key').on(t.proofId),
		index('certificates_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
		// monthly reports and exports by issue time (keyset over issued_at, id)
		index('certificates_tenant_issued_idx').on(t.tenantId, t.issuedAt, t.id),
		check('certificates_status_check', sql`${t.status} in ('issuing', 'valid', 'revoked')`),
		check('certificates_revoked_check', sql`${t.status} <> 'revoked' or (${t.revokedAt} is not null and ${t.revocationReason} is not null)`)
	]
);

export type Certificate = typeof certificates.$inferSelect;
