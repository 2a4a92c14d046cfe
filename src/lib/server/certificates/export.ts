import { and, desc, eq, gte, isNotNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { EXPORT_PAGE_ROWS, csvField, exportStream, type ExportFormat } from '#lib/server/http/export-stream';
import type { CertificateRecord } from '#lib/server/records';
import { attestationIs, attestationOf, deviceSummary, type AttestationKind, type CertificateView } from './records';
import { certificates, type CertificateStatus } from './schema';

export { csvField };

export const EXPORT_COLUMNS = [
	'publicId',
	'proofId',
	'status',
	'issuedAt',
	'revokedAt',
	'revocationReason',
	'deviceType',
	'manufacturer',
	'model',
	'serial',
	'capacityBytes',
	'assetTag',
	'method',
	'result',
	'logIndex',
	'attestation',
	'attestedBy',
	'verifyUrl'
] as const;

export function csvValues(c: CertificateView): unknown[] {
	const d = c.device ?? {};
	const values: Record<(typeof EXPORT_COLUMNS)[number], unknown> = {
		publicId: c.publicId,
		proofId: c.proofId,
		status: c.status,
		issuedAt: c.issuedAt,
		revokedAt: c.revokedAt,
		revocationReason: c.revocationReason,
		deviceType: d.type,
		manufacturer: d.manufacturer,
		model: d.model,
		serial: d.serial,
		capacityBytes: d.capacityBytes,
		assetTag: d.assetTag,
		method: d.method,
		result: d.result,
		logIndex: c.logIndex,
		// agent-signed or operator-attested, told apart in every row (and who attested the latter)
		attestation: c.attestation.kind,
		attestedBy: c.attestation.kind === 'operator' ? c.attestation.operatorName : c.attestation.agentCertificateSerial ? `agent certificate ${c.attestation.agentCertificateSerial}` : '',
		verifyUrl: c.verifyUrl
	};
	return EXPORT_COLUMNS.map((k) => values[k]);
}

export type CertificateExportQuery = { format: ExportFormat; status?: CertificateStatus; attestation?: AttestationKind; from?: Date; to?: Date };

/** The keyset position: the sort time as PostgreSQL's text (microseconds kept) and the row id. */
type Position = { at: string; id: string };

/**
 * Every certificate of a tenant as a byte stream (JSON array, NDJSON or CSV),
 * newest first, read a keyset page at a time and only when the client has
 * taken the previous one, so memory stays flat however many there are. With
 * `from`/`to` only certificates issued in [from, to) are exported, by issue
 * time (index tenant_id, issued_at, id); otherwise by creation time. The
 * keyset compares (tenant_id, time, id) as one row, which PostgreSQL matches
 * against the index prefix, so every page is one index range scan.
 */
export function exportCertificates(db: DbOrTx, tenantId: string, q: CertificateExportQuery, origin: string): ReadableStream<Uint8Array> {
	const byIssue = Boolean(q.from || q.to);
	const time = byIssue ? certificates.issuedAt : certificates.createdAt;
	const page = async (after: Position | null) => {
		const rows = await db
			.select({
				id: certificates.id,
				at: sql<string>`${time}::text`,
				publicId: certificates.publicId,
				status: certificates.status,
				proofId: sql<string | null>`${certificates.record}->'proof'->>'id'`,
				report: sql<unknown>`${certificates.record}->'report'`,
				attestation: sql<CertificateRecord['attestation'] | null>`${certificates.record}->'attestation'`,
				agent: sql<CertificateRecord['agent'] | null>`${certificates.record}->'agent'`,
				issuedAt: certificates.issuedAt,
				revokedAt: certificates.revokedAt,
				revocationReason: certificates.revocationReason,
				logIndex: certificates.logIndex
			})
			.from(certificates)
			.where(
				and(
					eq(certificates.tenantId, tenantId),
					q.status ? eq(certificates.status, q.status) : undefined,
					q.attestation ? attestationIs(q.attestation) : undefined,
					byIssue ? isNotNull(certificates.issuedAt) : undefined,
					q.from ? gte(certificates.issuedAt, q.from) : undefined,
					q.to ? lt(certificates.issuedAt, q.to) : undefined,
					after ? sql`(${certificates.tenantId}, ${time}, ${certificates.id}) < (${tenantId}::uuid, ${after.at}::timestamptz, ${after.id}::uuid)` : undefined
				)
			)
			.orderBy(desc(certificates.tenantId), desc(time), desc(certificates.id))
			.limit(EXPORT_PAGE_ROWS);
		const last = rows.at(-1);
		return { rows, next: rows.length === EXPORT_PAGE_ROWS && last ? { at: last.at, id: last.id } : null };
	};
	type Row = Awaited<ReturnType<typeof page>>['rows'][number];
	const view = (c: Row): CertificateView => ({
		publicId: c.publicId,
		proofId: c.proofId ?? '',
		status: c.status,
		issuedAt: c.issuedAt?.toISOString() ?? null,
		revokedAt: c.revokedAt?.toISOString() ?? null,
		revocationReason: c.revocationReason,
		logIndex: c.logIndex,
		device: deviceSummary(c.report),
		attestation: attestationOf({ attestation: c.attestation ?? undefined, agent: c.agent ?? undefined }),
		verifyUrl: `${origin}/verify/${c.publicId}`
	});
	return exportStream(q.format, { columns: EXPORT_COLUMNS, page, csv: (c) => csvValues(view(c)), json: view });
}
