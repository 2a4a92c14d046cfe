import { createHash } from 'node:crypto';
import { and, desc, eq, isNotNull, ne } from 'drizzle-orm';
import type postgres from 'postgres';
import type { TenantRef } from '#lib/api/types.gen';
import type { Db, DbOrTx } from '#lib/server/db/client';
import type { Signer } from '#lib/server/signer';
import type { ObjectStore } from '#lib/server/storage';
import { getTenantLogo, listTenants, tenantRefs } from '#lib/server/tenancy';
import { csvChunks, jsonChunks, storeChunks, type ReportSubject } from './artefacts';
import { platformContent, tenantContent, type ReportContent } from './compute';
import type { ReportPeriod } from './period';
import { reportReady } from './ready';
import { billingReports, type BillingReport } from './schema';
import { buildStatement, signStatement } from './statement';

/** What generating a report needs: the app pool (and its driver, for the generation lock), storage and the signer. */
export type ReportDeps = {
	db: Db;
	sql: postgres.Sql;
	storage: ObjectStore;
	signer: () => Promise<Pick<Signer, 'signPdfDigest'>>;
	/** ORIGIN: the signature's location */
	origin: string;
	tsaUrl?: string;
};

export type GenerateOutcome = { reportId: string; status: 'published' | 'missing' | 'busy'; steps: string[] };

/** Object keys of a version's files: reports/<tenant id or platform>/<month>/v<version>/report.<ext>. */
export const artefactKey = (r: Pick<BillingReport, 'scope' | 'month' | 'version'>, ext: 'csv' | 'json' | 'pdf') => `reports/${r.scope}/${r.month}/v${r.version}/report.${ext}`;

export async function reportRow(db: DbOrTx, id: string): Promise<BillingReport | null> {
	const [row] = await db.select().from(billingReports).where(eq(billingReports.id, id));
	return row ?? null;
}

async function record(db: Db, id: string, set: Partial<typeof billingReports.$inferInsert>): Promise<BillingReport> {
	const [row] = await db.update(billingReports).set(set).where(and(eq(billingReports.id, id), eq(billingReports.status, 'generating'))).returning();
	if (!row) throw new Error(`report ${id} was published by another worker meanwhile`);
	return row;
}

export type ReportTenant = TenantRef & { timeZone: string; language: 'en' | 'de'; createdAt: Date };

/** Every tenant that existed before `end` (the platform report's rows, the schedule's tenants), by slug. */
export async function tenantsBefore(db: DbOrTx, end: Date): Promise<ReportTenant[]> {
	const out: ReportTenant[] = [];
	let cursor: string | undefined;
	do {
		const page = await listTenants(db, { cursor, limit: 200 });
		for (const t of page.items) if (t.createdAt < end) out.push({ id: t.id, slug: t.slug, name: t.name, timeZone: t.timeZone, language: t.language, createdAt: t.createdAt });
		cursor = page.nextCursor ?? undefined;
	} while (cursor);
	return out;
}

/**
 * Generates one report version, step by step, each step recorded the moment
 * it is done so a worker that dies part-way is followed by one that goes on
 * from there: the CSV, the JSON, the signed statement (which names the other
 * two files' hashes), then `published` with the figures, and `report.ready`
 * in that transaction. The figures are computed afresh on every attempt; the
 * month is closed, so they are the same and so are the bytes.
 *
 * One generation of a report at a time, across processes: a session-level
 * advisory lock on a reserved connection, released when the work ends or the
 * process dies (its connection closes). A second worker finds it taken and
 * leaves the report to the first.
 *
 * A statement whose unsigned bytes equal an earlier published version's is
 * not signed again: that version's signed PDF is copied, so generating a
 * month again from unchanged data gives three byte-identical files.
 */
export async function generateReport(deps: ReportDeps, reportId: string): Promise<GenerateOutcome> {
	const steps: string[] = [];
	const lockKey = `wipecert:report:${reportId}`;
	const session = await deps.sql.reserve();
	try {
		const [lock] = await session<{ ok: boolean }[]>`select pg_try_advisory_lock(hashtextextended(${lockKey}, 0)) as ok`;
		if (!lock.ok) return { reportId, status: 'busy', steps };
		try {
			let row = await reportRow(deps.db, reportId);
			if (!row) return { reportId, status: 'missing', steps };
			if (row.status === 'published') return { reportId, status: 'published', steps };
			const tenant = row.tenantId ? ((await tenantRefs(deps.db, [row.tenantId])).get(row.tenantId) ?? null) : null;
			const period: ReportPeriod = { month: row.month, timeZone: row.timeZone, start: row.periodStart, end: row.periodEnd };
			const content: ReportContent = tenant ? await tenantContent(deps.db, tenant.id, period) : await platformContent(deps.db, await tenantsBefore(deps.db, period.end), period);
			const subject: ReportSubject = { tenant, period };

			if (!row.csvSha256) {
				const key = artefactKey(row, 'csv');
				const stored = await storeChunks(deps.storage, key, csvChunks(deps.db, subject, content), 'text/csv; charset=utf-8');
				row = await record(deps.db, reportId, { csvKey: key, csvSha256: stored.sha256, csvBytes: stored.size });
				steps.push('csv');
			}
			if (!row.jsonSha256) {
				const key = artefactKey(row, 'json');
				const stored = await storeChunks(deps.storage, key, jsonChunks(deps.db, subject, content), 'application/json');
				row = await record(deps.db, reportId, { jsonKey: key, jsonSha256: stored.sha256, jsonBytes: stored.size });
				steps.push('json');
			}
			if (!row.pdfSha256) {
				const logo = tenant ? await getTenantLogo(deps.db, tenant.id) : null;
				const statement = await buildStatement({
					locale: row.language,
					month: row.month,
					timeZone: row.timeZone,
					period,
					tenant,
					logo,
					totals: content.totals,
					breakdown: content.breakdown,
					files: { csvSha256: row.csvSha256!, jsonSha256: row.jsonSha256! }
				});
				const pdf = (await signedEarlier(deps, row, statement.sha256)) ?? (await signStatement(statement.bytes, { sign: async (d) => (await deps.signer()).signPdfDigest(d), tsaUrl: deps.tsaUrl, locale: row.language, origin: deps.origin }));
				const key = artefactKey(row, 'pdf');
				const stored = await deps.storage.put(key, pdf, { contentType: 'application/pdf' });
				row = await record(deps.db, reportId, { pdfKey: key, pdfSha256: stored.sha256, pdfBytes: stored.size, statementSha256: statement.sha256 });
				steps.push('pdf');
			}
			await deps.db.transaction(async (tx) => {
				const [published] = await tx
					.update(billingReports)
					.set({ status: 'published', totals: content.totals, breakdown: content.breakdown, publishedAt: new Date() })
					.where(and(eq(billingReports.id, reportId), eq(billingReports.status, 'generating')))
					.returning();
				if (published) await reportReady(tx, published);
			});
			steps.push('published');
			return { reportId, status: 'published', steps };
		} finally {
			await session`select pg_advisory_unlock(hashtextextended(${lockKey}, 0))`;
		}
	} finally {
		session.release();
	}
}

/**
 * The signed PDF of an earlier published version of the same month whose
 * statement had exactly these unsigned bytes, checked against its recorded
 * hash; null when there is none (or its object is gone or damaged).
 */
async function signedEarlier(deps: ReportDeps, row: BillingReport, statementSha256: string): Promise<Uint8Array | null> {
	const [earlier] = await deps.db
		.select({ pdfKey: billingReports.pdfKey, pdfSha256: billingReports.pdfSha256 })
		.from(billingReports)
		.where(
			and(
				eq(billingReports.scope, row.scope),
				eq(billingReports.month, row.month),
				ne(billingReports.id, row.id),
				eq(billingReports.status, 'published'),
				eq(billingReports.statementSha256, statementSha256),
				isNotNull(billingReports.pdfKey)
			)
		)
		.orderBy(desc(billingReports.version))
		.limit(1);
	if (!earlier?.pdfKey) return null;
	const bytes = await deps.storage.getBytes(earlier.pdfKey);
	if (!bytes) return null;
	return createHash('sha256').update(bytes).digest('hex') === earlier.pdfSha256 ? bytes : null;
}
