import { and, asc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { ReportCertificateRow } from '#lib/api/types.gen';
import type { DbOrTx } from '#lib/server/db/client';
import { certificates } from './schema';

/**
 * A tenant's certificates over one period (a month in the tenant's time
 * zone), for monthly reports: counts, breakdowns and the rows themselves, as
 * they stood at the period's end (a revocation after it does not show).
 * "Issued in the period" is the issue time the certificate states
 * (`issued_at`, index tenant_id, issued_at, id); certificates still being
 * issued have none yet.
 */
export type Period = { start: Date; end: Date; timeZone: string };

const report = sql`${certificates.record}->'report'`;
const text = (expr: SQL) => sql<string | null>`${expr}`;
/** What the breakdowns count by (the same reading as `recordFacts`, in SQL for GROUP BY). */
const FIELDS = {
	mediaType: text(sql`${report}->'device'->>'type'`),
	method: text(sql`${report}->'sanitisation'->>'method'`),
	result: text(sql`case when jsonb_typeof(${report}->'result') = 'string' then ${report}->>'result' else ${report}->'result'->>'status' end`),
	agentSerial: text(sql`${certificates.record}->'agent'->>'certificateSerial'`),
	// the same reading as attestationIs: a record without an operator attestation was signed by an agent
	attestation: text(sql`case when ${certificates.record}->'attestation'->>'kind' = 'operator' then 'operator' else 'agent' end`)
};

const issuedIn = (tenantId: string, p: Period) => and(eq(certificates.tenantId, tenantId), gte(certificates.issuedAt, p.start), lt(certificates.issuedAt, p.end));
const revokedIn = (tenantId: string, p: Period) => and(eq(certificates.tenantId, tenantId), gte(certificates.revokedAt, p.start), lt(certificates.revokedAt, p.end));
const localDay = (column: SQL | typeof certificates.issuedAt, timeZone: string) => sql<string>`to_char(${column} at time zone ${timeZone}, 'YYYY-MM-DD')`;

export type Count = { key: string; count: number };

export type CertificatePeriodFigures = {
	issued: number;
	revoked: number;
	mediaType: Count[];
	method: Count[];
	result: Count[];
	attestation: Count[];
	agent: { certificateSerial: string; count: number }[];
	/** per local day: certificates issued and revoked (days without any are absent) */
	days: Map<string, { issued: number; revoked: number }>;
};

/** Most frequent first, then by key: the same figures always list the same way. */
const ordered = (rows: { key: string | null; count: number }[]): Count[] =>
	rows.map((r) => ({ key: r.key ?? 'unknown', count: Number(r.count) })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** Counts and breakdowns of a tenant's certificates issued (and revoked) in the period. */
export async function certificatePeriodFigures(db: DbOrTx, tenantId: string, p: Period): Promise<CertificatePeriodFigures> {
	const count = sql<number>`count(*)::int`;
	const by = (key: SQL<string | null>) =>
		db.select({ key, count }).from(certificates).where(issuedIn(tenantId, p)).groupBy(key).then(ordered);
	const [mediaType, method, result, attestation, agent, issuedDays, revokedDays] = await Promise.all([
		by(FIELDS.mediaType),
		by(FIELDS.method),
		by(FIELDS.result),
		by(FIELDS.attestation),
		by(FIELDS.agentSerial),
		// grouped by position: the time zone is a parameter, so the select's expression and a repeated one would differ ($1 vs $5)
		db.select({ day: localDay(certificates.issuedAt, p.timeZone), count }).from(certificates).where(issuedIn(tenantId, p)).groupBy(sql`1`),
		db.select({ day: localDay(sql`${certificates.revokedAt}`, p.timeZone), count }).from(certificates).where(revokedIn(tenantId, p)).groupBy(sql`1`)
	]);
	const days = new Map<string, { issued: number; revoked: number }>();
	for (const d of issuedDays) days.set(d.day, { issued: Number(d.count), revoked: 0 });
	for (const d of revokedDays) days.set(d.day, { issued: days.get(d.day)?.issued ?? 0, revoked: Number(d.count) });
	return {
		issued: mediaType.reduce((n, c) => n + c.count, 0),
		revoked: revokedDays.reduce((n, d) => n + Number(d.count), 0),
		mediaType,
		method,
		result,
		attestation,
		agent: agent.map((a) => ({ certificateSerial: a.key, count: a.count })),
		days
	};
}

/** One certificate of a report, as it stood at the period's end (the report's row, openapi/openapi.yaml ReportCertificateRow). */
export type PeriodCertificate = ReportCertificateRow;

/** Keyset position in issue order: the issue time as PostgreSQL text (microseconds kept) and the row id. */
export type PeriodCursor = { at: string; id: string };

/** The report facts of a certificate's record (a record is read leniently: older reports may lack a field). */
function recordFacts(record: unknown) {
	const r = (record ?? {}) as { agent?: { certificateSerial?: unknown }; proof?: { id?: unknown }; report?: Record<string, unknown>; attestation?: { kind?: unknown; operator?: { name?: unknown } } };
	const report = r.report ?? {};
	const device = (report.device ?? {}) as Record<string, unknown>;
	const sanitisation = (report.sanitisation ?? {}) as Record<string, unknown>;
	const text = (v: unknown) => (typeof v === 'string' ? v : null);
	const result = report.result;
	return {
		proofId: text(r.proof?.id) ?? '',
		mediaType: text(device.type),
		manufacturer: text(device.manufacturer) ?? text(device.vendor),
		model: text(device.model),
		serial: text(device.serial) ?? text(device.serialNumber),
		capacityBytes: typeof device.capacityBytes === 'number' ? device.capacityBytes : null,
		method: text(sanitisation.method),
		technique: text(sanitisation.technique),
		// the report schema has result.status; older reports stated the result as a string
		result: typeof result === 'string' ? result : text((result as { status?: unknown } | undefined)?.status),
		attestation: r.attestation?.kind === 'operator' ? ('operator' as const) : ('agent' as const),
		attestedBy: r.attestation?.kind === 'operator' ? text(r.attestation.operator?.name) : null,
		agentSerial: text(r.agent?.certificateSerial),
		assetTag: text(report.assetTag)
	};
}

/**
 * A page of the tenant's certificates issued in the period, oldest first,
 * after `after`. The keyset compares (tenant_id, issued_at, id) as one row, so
 * each page is one range scan of the index however deep into the month. The
 * record is read once per row and its facts taken in JavaScript: extracting
 * each field in SQL decompressed the stored record once per field.
 */
export async function periodCertificates(db: DbOrTx, tenantId: string, p: Period, after: PeriodCursor | null, limit: number): Promise<{ rows: PeriodCertificate[]; next: PeriodCursor | null }> {
	const revokedByEnd = sql`${certificates.revokedAt} is not null and ${certificates.revokedAt} < ${p.end.toISOString()}::timestamptz`;
	const rows = await db
		.select({
			id: certificates.id,
			at: sql<string>`${certificates.issuedAt}::text`,
			certificateId: certificates.publicId,
			issuedAt: sql<string>`to_char(${certificates.issuedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
			day: localDay(certificates.issuedAt, p.timeZone),
			status: sql<'valid' | 'revoked'>`case when ${revokedByEnd} then 'revoked' else 'valid' end`,
			revokedAt: sql<string | null>`case when ${revokedByEnd} then to_char(${certificates.revokedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end`,
			record: certificates.record,
			logIndex: certificates.logIndex,
			recordSha256: certificates.recordSha256
		})
		.from(certificates)
		.where(
			and(
				issuedIn(tenantId, p),
				after ? sql`(${certificates.tenantId}, ${certificates.issuedAt}, ${certificates.id}) > (${tenantId}::uuid, ${after.at}::timestamptz, ${after.id}::uuid)` : undefined
			)
		)
		.orderBy(asc(certificates.tenantId), asc(certificates.issuedAt), asc(certificates.id))
		.limit(limit);
	const last = rows.at(-1);
	return {
		rows: rows.map((r) => {
			const f = recordFacts(r.record);
			return {
				certificateId: r.certificateId,
				proofId: f.proofId,
				issuedAt: r.issuedAt,
				day: r.day,
				status: r.status,
				revokedAt: r.revokedAt,
				mediaType: f.mediaType,
				manufacturer: f.manufacturer,
				model: f.model,
				serial: f.serial,
				capacityBytes: f.capacityBytes,
				method: f.method,
				technique: f.technique,
				result: f.result,
				attestation: f.attestation,
				attestedBy: f.attestedBy,
				agentSerial: f.agentSerial,
				assetTag: f.assetTag,
				logIndex: r.logIndex,
				recordSha256: r.recordSha256
			};
		}),
		next: rows.length === limit && last ? { at: last.at, id: last.id } : null
	};
}
