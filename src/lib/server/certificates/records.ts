import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { z } from 'zod';
import type { Certificate as ApiCertificate } from '#lib/api/types.gen';
import { recordAudit } from '#lib/server/audit';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { publishEvent } from '#lib/server/events';
import { certificateRevoked, enqueueNotification } from '#lib/server/notifications';
import { ApiError } from '#lib/server/http/errors';
import { newPublicId, recordSha256, type CertificateRecord, type OperatorAttestation } from '#lib/server/records';
import type { AuditContext } from '#lib/server/tenancy';
import { decodeTimeKeyset, encodeTimeKeyset } from '#lib/server/http/cursor';
import { certificates, type Certificate, type CertificateStatus } from './schema';

/** The device and result summary lists show, read leniently from a report (schema owned by proofs/format). */
const summarySchema = z.looseObject({
	device: z
		.looseObject({
			type: z.string().optional(),
			manufacturer: z.string().optional(),
			vendor: z.string().optional(),
			model: z.string().optional(),
			serial: z.string().optional(),
			serialNumber: z.string().optional(),
			capacityBytes: z.number().int().optional()
		})
		.optional(),
	sanitisation: z.looseObject({ method: z.string().optional() }).optional(),
	result: z.union([z.string(), z.looseObject({ status: z.string().optional() })]).optional(),
	assetTag: z.string().optional()
});

export type DeviceSummary = {
	type?: string;
	manufacturer?: string;
	model?: string;
	serial?: string;
	capacityBytes?: number;
	assetTag?: string;
	result?: string;
	method?: string;
};

export function deviceSummary(report: unknown): DeviceSummary | null {
	const r = summarySchema.safeParse(report);
	if (!r.success) return null;
	const d = r.data.device ?? {};
	const result = typeof r.data.result === 'string' ? r.data.result : r.data.result?.status;
	const out: DeviceSummary = {
		type: d.type,
		manufacturer: d.manufacturer ?? d.vendor,
		model: d.model,
		serial: d.serial ?? d.serialNumber,
		capacityBytes: d.capacityBytes,
		assetTag: r.data.assetTag,
		result,
		method: r.data.sanitisation?.method
	};
	for (const k of Object.keys(out) as (keyof DeviceSummary)[]) if (out[k] === undefined) delete out[k];
	return out;
}

/**
 * What a certificate states about the proof it certifies (the record's
 * `proof`, `report`, and who stands behind the report: the agent certificate
 * that signed it, or the operator who attested unsigned evidence).
 */
export type CertifiedProof = {
	proofId: string;
	proof: CertificateRecord['proof'];
	report: unknown;
} & ({ agentCertificateSerial: string } | { attestation: OperatorAttestation });

/**
 * The `issuing` certificates of a tenant's charged proofs, in the caller's
 * transaction (the one that consumed their licences): a public ID and the
 * version 1 record per proof, all stating one `issuedAt`, the time the
 * certificate will show everywhere. A proof that has its certificate already
 * keeps it (see createCertificateRecords).
 */
export async function createCertificates(tx: Tx, tenant: { id: string; slug: string; name: string }, items: CertifiedProof[]): Promise<Certificate[]> {
	const issuedAt = new Date().toISOString();
	return createCertificateRecords(
		tx,
		items.map((item) => {
			const publicId = newPublicId('certificate');
			const record: CertificateRecord = {
				version: 1,
				certificateId: publicId,
				issuer: { tenant: tenant.slug, name: tenant.name },
				issuedAt,
				proof: item.proof,
				...('attestation' in item ? { attestation: item.attestation } : { agent: { certificateSerial: item.agentCertificateSerial.toLowerCase() } }),
				report: item.report
			};
			return { tenantId: tenant.id, proofId: item.proofId, publicId, record };
		})
	);
}

export async function certificatesForProofs(db: DbOrTx, proofIds: string[]): Promise<Certificate[]> {
	if (!proofIds.length) return [];
	return db.select().from(certificates).where(inArray(certificates.proofId, proofIds));
}

/**
 * Creates the `issuing` certificate rows of proofs, or returns those that
 * exist (a retry after a crash: unique `proof_id`, so never two). One statement.
 */
export async function createCertificateRecords(tx: Tx, rows: { tenantId: string; proofId: string; publicId: string; record: CertificateRecord }[]): Promise<Certificate[]> {
	if (!rows.length) return [];
	const created = await tx
		.insert(certificates)
		.values(rows.map((r) => ({ tenantId: r.tenantId, proofId: r.proofId, publicId: r.publicId, record: r.record, recordSha256: recordSha256(r.record) })))
		.onConflictDoNothing({ target: certificates.proofId })
		.returning();
	if (created.length === rows.length) return created;
	const have = new Set(created.map((c) => c.proofId));
	const rest = rows.filter((r) => !have.has(r.proofId)).map((r) => r.proofId);
	return [...created, ...(await tx.select().from(certificates).where(inArray(certificates.proofId, rest)))];
}


/** The API's certificate (openapi Certificate): the contract is the one definition of this shape. */
export type CertificateView = ApiCertificate;

export type AttestationKind = ApiCertificate['attestation']['kind'];

/** Who stands behind a record's report: an enrolled agent's signature, or the operator who uploaded unsigned evidence. */
export function attestationOf(record: Partial<CertificateRecord>): ApiCertificate['attestation'] {
	if (record.attestation?.kind === 'operator') return { kind: 'operator', source: record.attestation.source, operatorName: record.attestation.operator.name };
	return { kind: 'agent', ...(record.agent?.certificateSerial ? { agentCertificateSerial: record.agent.certificateSerial } : {}) };
}

/** SQL condition on the record's attestation (records before operator attestation existed are agent-signed). */
export const attestationIs = (kind: AttestationKind) =>
	kind === 'operator' ? sql`${certificates.record}->'attestation'->>'kind' = 'operator'` : sql`(${certificates.record}->'attestation'->>'kind') is distinct from 'operator'`;

function view(c: Certificate, origin: string): CertificateView {
	const record: Partial<CertificateRecord> = c.record;
	return {
		publicId: c.publicId,
		proofId: record.proof?.id ?? '',
		status: c.status,
		issuedAt: c.issuedAt?.toISOString() ?? null,
		revokedAt: c.revokedAt?.toISOString() ?? null,
		revocationReason: c.revocationReason,
		logIndex: c.logIndex,
		device: deviceSummary(record.report),
		attestation: attestationOf(record),
		verifyUrl: `${origin}/verify/${c.publicId}`
	};
}

/** Certificates of a tenant, newest first (cursor: createdAt|id). */
export async function listCertificates(db: DbOrTx, tenantId: string, q: { cursor?: string; limit?: number; status?: CertificateStatus; attestation?: AttestationKind }, origin: string) {
	const limit = q.limit ?? 50;
	const after = q.cursor ? decodeTimeKeyset(q.cursor) : null;
	const rows = await db
		.select()
		.from(certificates)
		.where(
			and(
				eq(certificates.tenantId, tenantId),
				q.status ? eq(certificates.status, q.status) : undefined,
				q.attestation ? attestationIs(q.attestation) : undefined,
				after ? or(lt(certificates.createdAt, after.at), and(eq(certificates.createdAt, after.at), lt(certificates.id, after.id))) : undefined
			)
		)
		.orderBy(desc(certificates.createdAt), desc(certificates.id))
		.limit(limit + 1);
	const items = rows.slice(0, limit).map((c) => view(c, origin));
	const last = rows[limit - 1];
	return { items, nextCursor: rows.length > limit ? encodeTimeKeyset(last.createdAt, last.id) : null };
}

/** One certificate of the tenant by public ID; 404 otherwise (another tenant's too). */
export async function getCertificate(db: DbOrTx, tenantId: string, publicId: string, origin: string): Promise<CertificateView> {
	const [c] = await db
		.select()
		.from(certificates)
		.where(and(eq(certificates.tenantId, tenantId), eq(certificates.publicId, publicId)));
	if (!c) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	return view(c, origin);
}

/** A certificate by public ID across tenants (public verification, refunds by platform admins). */
export async function certificateByPublicId(db: DbOrTx, publicId: string): Promise<Certificate | null> {
	const [c] = await db.select().from(certificates).where(eq(certificates.publicId, publicId));
	return c ?? null;
}

/** What a public certificate answer is built from: no internal id among them. */
export type PublicCertificateFacts = {
	publicId: string;
	status: CertificateStatus;
	/** the erasure report of the record, and the issuer's display name */
	report: unknown;
	issuerName: string | null;
	recordSha256: string;
	logIndex: number | null;
	hasPdf: boolean;
	/** ISO 8601 UTC with milliseconds, as Date.toISOString writes it */
	issuedAt: string | null;
	revokedAt: string | null;
	revocationReason: string | null;
	/** status of the certified proof (anchoring), null if the proof row is gone */
	proofStatus: string | null;
	/** agent-signed, or attested by the operator who uploaded unsigned evidence */
	attestation: CertificateView['attestation'];
};

/**
 * The public facts of a certificate by public ID, with its proof's status, in
 * ONE prepared statement through postgres.js (the public answer is
 * the hot path; drizzle's builder cost ~0.4 ms of CPU per query and its
 * `execute` does not prepare). Only the parts of `record` the answer shows are
 * read; times come formatted by the database (drizzle leaves postgres.js's
 * timestamp parsers as plain strings). Null when unknown.
 */
export async function publicCertificateFacts(sql: postgres.Sql, publicId: string): Promise<PublicCertificateFacts | null> {
	const [r] = await sql<
		{
			public_id: string;
			status: CertificateStatus;
			report: unknown;
			issuer_name: string | null;
			record_sha256: string;
			log_index: string | null;
			has_pdf: boolean;
			issued_at: string | null;
			revoked_at: string | null;
			revocation_reason: string | null;
			proof_status: string | null;
			attestation: CertificateRecord['attestation'] | null;
			agent: CertificateRecord['agent'] | null;
		}[]
	>`
		select c.public_id, c.status, c.record->'report' as report, c.record->'issuer'->>'name' as issuer_name, c.record_sha256,
			c.record->'attestation' as attestation, c.record->'agent' as agent,
			c.log_index, c.pdf_object_key is not null as has_pdf,
			to_char(c.issued_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as issued_at,
			to_char(c.revoked_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as revoked_at,
			c.revocation_reason, p.status as proof_status
		from certificates c left join proofs p on p.id = c.proof_id
		where c.public_id = ${publicId}`;
	if (!r) return null;
	return {
		publicId: r.public_id,
		status: r.status,
		report: r.report,
		issuerName: r.issuer_name,
		recordSha256: r.record_sha256,
		logIndex: r.log_index === null ? null : Number(r.log_index),
		hasPdf: r.has_pdf,
		issuedAt: r.issued_at,
		revokedAt: r.revoked_at,
		revocationReason: r.revocation_reason,
		proofStatus: r.proof_status,
		attestation: attestationOf({ attestation: r.attestation ?? undefined, agent: r.agent ?? undefined })
	};
}

/**
 * Revokes a certificate of the tenant with a reason; audited.
 * Final: a revoked certificate answers 409; one still being issued too.
 */
export async function revokeCertificate(tx: Tx, tenantId: string, publicId: string, reason: string, ctx: AuditContext, origin: string): Promise<CertificateView> {
	const [c] = await tx
		.select()
		.from(certificates)
		.where(and(eq(certificates.tenantId, tenantId), eq(certificates.publicId, publicId)))
		.for('update');
	if (!c) throw new ApiError('not_found', 'No certificate with this id in your tenant.');
	if (c.status === 'revoked') throw new ApiError('conflict', 'This certificate is revoked already.');
	if (c.status === 'issuing') throw new ApiError('conflict', 'This certificate is still being issued; try again in a moment.');
	const [updated] = await tx
		.update(certificates)
		.set({ status: 'revoked', revokedAt: sql`now()`, revocationReason: reason, revokedByKind: ctx.actor?.kind ?? null, revokedById: ctx.actor?.id ?? null })
		.where(eq(certificates.id, c.id))
		.returning();
	await publishEvent(tx, tenantId, 'certificate.revoked', { publicId });
	await enqueueNotification(tx, certificateRevoked(updated));
	await recordAudit(tx, {
		actor: ctx.actor,
		tenantId,
		action: 'certificate.revoke',
		target: `certificate:${publicId}`,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { reason }
	});
	return view(updated, origin);
}
