import { Readable } from 'node:stream';
import { and, desc, asc, eq, sql } from 'drizzle-orm';
import type { Report, ReportDetail, TenantRef } from '#lib/api/types.gen';
import type { DbOrTx } from '#lib/server/db/client';
import { decodeCursor, encodeCursor } from '#lib/server/http/cursor';
import { ApiError } from '#lib/server/http/errors';
import type { ObjectStore } from '#lib/server/storage';
import { tenantRefs } from '#lib/server/tenancy';
import { billingReports, PLATFORM_SCOPE, type BillingReport } from './schema';

/** Whose reports a caller sees: one tenant's (a tenant's users), or every report (platform admins). */
export type ReportReader = { tenantId: string } | { platform: true };

const notFound = () => new ApiError('not_found', 'No report with this id.');

function artefact(sha256: string | null, bytes: number | null) {
	return sha256 === null || bytes === null ? null : { sha256, bytes };
}

function view(r: BillingReport, tenant: TenantRef | null): Report {
	return {
		id: r.id,
		month: r.month,
		version: r.version,
		status: r.status,
		tenant,
		timeZone: r.timeZone,
		language: r.language,
		periodStart: r.periodStart.toISOString(),
		periodEnd: r.periodEnd.toISOString(),
		totals: r.totals ?? null,
		artefacts: { csv: artefact(r.csvSha256, r.csvBytes), json: artefact(r.jsonSha256, r.jsonBytes), pdf: artefact(r.pdfSha256, r.pdfBytes) },
		requestedBy: r.requestedByKind ? { kind: r.requestedByKind, id: r.requestedById, role: r.requestedByRole } : null,
		reason: r.reason,
		createdAt: r.createdAt.toISOString(),
		publishedAt: r.publishedAt?.toISOString() ?? null
	};
}

/** The API's reports of these rows, with their tenants' names (one look-up for all). */
export async function reportViews(db: DbOrTx, rows: BillingReport[]): Promise<Report[]> {
	const refs = await tenantRefs(db, [...new Set(rows.flatMap((r) => (r.tenantId ? [r.tenantId] : [])))]);
	return rows.map((r) => view(r, r.tenantId ? (refs.get(r.tenantId) ?? { id: r.tenantId, slug: '', name: '' }) : null));
}

/** The list's keyset: month, scope and version of the last row (newest month first, then scope, newest version first). */
const encodeReportCursor = (r: BillingReport) => encodeCursor(`${r.month}|${r.scope}|${r.version}`);
function decodeReportCursor(cursor: string): { month: string; scope: string; version: number } {
	const [month, scope, version] = decodeCursor(cursor).split('|');
	if (!/^\d{4}-\d{2}$/.test(month ?? '') || !scope || !/^\d{1,9}$/.test(version ?? '')) {
		throw new ApiError('bad_request', 'The cursor is not one this list handed out.', [{ field: 'cursor', problem: 'invalid' }]);
	}
	return { month, scope, version: Number(version) };
}

/**
 * Reports newest month first; within a month by scope, newest version first.
 * A tenant's reader sees its own; a platform admin every report, or those of
 * one tenant (`scope` = tenant id) or the platform's (`scope` = platform).
 */
export async function listReports(db: DbOrTx, reader: ReportReader, q: { month?: string; scope?: string; cursor?: string; limit?: number }) {
	const limit = q.limit ?? 50;
	const scope = 'tenantId' in reader ? reader.tenantId : q.scope;
	const after = q.cursor ? decodeReportCursor(q.cursor) : null;
	const rows = await db
		.select()
		.from(billingReports)
		.where(
			and(
				scope ? eq(billingReports.scope, scope) : undefined,
				q.month ? eq(billingReports.month, q.month) : undefined,
				after
					? sql`(${billingReports.month} < ${after.month} or (${billingReports.month} = ${after.month} and (${billingReports.scope} > ${after.scope} or (${billingReports.scope} = ${after.scope} and ${billingReports.version} < ${after.version}))))`
					: undefined
			)
		)
		.orderBy(desc(billingReports.month), asc(billingReports.scope), desc(billingReports.version))
		.limit(limit + 1);
	const page = rows.slice(0, limit);
	return { items: await reportViews(db, page), nextCursor: rows.length > limit ? encodeReportCursor(page[page.length - 1]) : null };
}

async function readable(db: DbOrTx, reader: ReportReader, id: string): Promise<BillingReport> {
	const [row] = await db.select().from(billingReports).where(eq(billingReports.id, id));
	// another tenant's report answers like one that does not exist
	if (!row || ('tenantId' in reader && row.scope !== reader.tenantId)) throw notFound();
	return row;
}

/** One report with its breakdowns (null while generating); another tenant's is 404. */
export async function getReport(db: DbOrTx, reader: ReportReader, id: string): Promise<ReportDetail> {
	const row = await readable(db, reader, id);
	const [report] = await reportViews(db, [row]);
	return { report, breakdown: row.breakdown ?? null };
}

export type ReportFormat = 'csv' | 'json' | 'pdf';
const CONTENT_TYPES: Record<ReportFormat, string> = { csv: 'text/csv; charset=utf-8; header=present', json: 'application/json', pdf: 'application/pdf' };

/**
 * The stored file of a published report, streamed from object storage with
 * its recorded SHA-256 as `Repr-Digest` (RFC 9530); 409 while the report is
 * generating, 404 for another tenant's.
 */
export async function reportArtefact(db: DbOrTx, storage: ObjectStore, reader: ReportReader, id: string, format: ReportFormat): Promise<Response> {
	const row = await readable(db, reader, id);
	if (row.status !== 'published') throw new ApiError('conflict', 'This report is still being generated; download it once it is published.');
	const file = { csv: [row.csvKey, row.csvSha256, row.csvBytes], json: [row.jsonKey, row.jsonSha256, row.jsonBytes], pdf: [row.pdfKey, row.pdfSha256, row.pdfBytes] }[format] as [string, string, number];
	const body = await storage.getStream(file[0]);
	if (!body) throw new Error(`the ${format} file of report ${id} is missing from object storage (${file[0]})`);
	const [tenant] = row.tenantId ? (await tenantRefs(db, [row.tenantId])).values() : [];
	const name = `wipecert-report-${tenant?.slug ?? PLATFORM_SCOPE}-${row.month}-v${row.version}.${format}`;
	return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
		headers: {
			'content-type': CONTENT_TYPES[format],
			'content-length': String(file[2]),
			'content-disposition': `attachment; filename="${name}"`,
			'repr-digest': `sha-256=:${Buffer.from(file[1], 'hex').toString('base64')}:`,
			'x-content-type-options': 'nosniff',
			'cache-control': 'private, no-cache'
		}
	});
}
