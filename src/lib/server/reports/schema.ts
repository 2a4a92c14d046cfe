import { sql } from 'drizzle-orm';
import { bigint, check, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { ReportBreakdown, ReportTotals } from '#lib/api/types.gen';
import { tenants } from '../tenancy/schema';

export const REPORT_STATUSES = ['generating', 'published'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The chain-like scope of a report: a tenant's id, or `platform` for the platform-wide report. */
export const PLATFORM_SCOPE = 'platform';

/**
 * Monthly billing reports, one row per (scope, month, version). Version 1 is
 * the scheduled report; each on-demand run adds the next version, so a
 * published version is never replaced. A row is `generating` while its
 * artefacts (CSV, JSON, signed PDF) are written to object storage; each
 * artefact's key, SHA-256 and size are recorded the moment it is stored, so a
 * worker that dies part-way resumes after the last recorded step, and the row
 * becomes `published` once all three are there.
 *
 * The period is fixed when the row is created (the tenant's time zone then),
 * so a later change of the time zone does not move a report's month.
 */
export const billingReports = pgTable(
	'billing_reports',
	{
		id: uuid('id').primaryKey().defaultRandom(),
		/** the tenant id, or `platform` */
		scope: text('scope').notNull(),
		tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'restrict' }),
		/** YYYY-MM */
		month: text('month').notNull(),
		version: integer('version').notNull(),
		status: text('status', { enum: REPORT_STATUSES }).notNull().default('generating'),
		timeZone: text('time_zone').notNull(),
		language: text('language', { enum: ['en', 'de'] }).notNull(),
		periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
		periodEnd: timestamp('period_end', { withTimezone: true }).notNull(),
		totals: jsonb('totals').$type<ReportTotals>(),
		breakdown: jsonb('breakdown').$type<ReportBreakdown>(),
		csvKey: text('csv_key'),
		csvSha256: text('csv_sha256'),
		csvBytes: bigint('csv_bytes', { mode: 'number' }),
		jsonKey: text('json_key'),
		jsonSha256: text('json_sha256'),
		jsonBytes: bigint('json_bytes', { mode: 'number' }),
		pdfKey: text('pdf_key'),
		pdfSha256: text('pdf_sha256'),
		pdfBytes: bigint('pdf_bytes', { mode: 'number' }),
		/** SHA-256 of the statement PDF before its signature: equal content, equal hash, whichever run signed it */
		statementSha256: text('statement_sha256'),
		requestedByKind: text('requested_by_kind'),
		requestedById: text('requested_by_id'),
		requestedByRole: text('requested_by_role'),
		reason: text('reason'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		publishedAt: timestamp('published_at', { withTimezone: true })
	},
	(t) => [
		uniqueIndex('billing_reports_scope_month_version_key').on(t.scope, t.month, t.version),
		check('billing_reports_scope_check', sql`${t.scope} = coalesce(${t.tenantId}::text, 'platform')`),
		check('billing_reports_month_check', sql`${t.month} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
		check('billing_reports_status_check', sql`${t.status} in ('generating', 'published')`),
		check('billing_reports_version_check', sql`${t.version} >= 1`),
		check(
			'billing_reports_published_check',
			sql`${t.status} <> 'published' or (${t.totals} is not null and ${t.csvSha256} is not null and ${t.jsonSha256} is not null and ${t.pdfSha256} is not null and ${t.publishedAt} is not null)`
		)
	]
);

export type BillingReport = typeof billingReports.$inferSelect;
