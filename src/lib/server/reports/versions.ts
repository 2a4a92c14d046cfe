import { and, eq, max, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { sendInTx, type Queue } from '#lib/server/queue';
import type { AuditContext } from '#lib/server/tenancy';
import type { ReportPeriod } from './period';
import { billingReports, PLATFORM_SCOPE, type BillingReport } from './schema';

/** Data of a `reports.monthly` job: the monthly schedule, a later pass over the same month, or one version to generate. */
export const reportJob = z.union([
	z.object({ schedule: z.literal(true) }),
	z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/) }),
	z.object({ reportId: z.uuid() })
]);

export type NewVersion = {
	tenantId: string | null;
	period: ReportPeriod;
	language: 'en' | 'de';
	requestedBy?: AuditContext['actor'];
	reason?: string | null;
};

/** Serialises the versions of one (scope, month) until the transaction ends: two runs never pick the same number. */
async function lockMonth(tx: Tx, scope: string, month: string) {
	await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`wipecert:reports:${scope}:${month}`}, 0))`);
}

async function latestVersion(db: DbOrTx, scope: string, month: string): Promise<number> {
	const [row] = await db.select({ v: max(billingReports.version) }).from(billingReports).where(and(eq(billingReports.scope, scope), eq(billingReports.month, month)));
	return row?.v ?? 0;
}

/**
 * Adds a version of a month's report — the next number, or only the first
 * when `firstOnly` (the schedule: a month already reported keeps what it
 * has) — as a `generating` row, and the job that generates it, in the
 * caller's transaction. Null when `firstOnly` and the month has a version.
 */
export async function addVersion(tx: Tx, queue: Queue, v: NewVersion, opts: { firstOnly?: boolean } = {}): Promise<BillingReport | null> {
	const scope = v.tenantId ?? PLATFORM_SCOPE;
	await lockMonth(tx, scope, v.period.month);
	const latest = await latestVersion(tx, scope, v.period.month);
	if (opts.firstOnly && latest > 0) return null;
	const [row] = await tx
		.insert(billingReports)
		.values({
			scope,
			tenantId: v.tenantId,
			month: v.period.month,
			version: latest + 1,
			timeZone: v.period.timeZone,
			language: v.language,
			periodStart: v.period.start,
			periodEnd: v.period.end,
			requestedByKind: v.requestedBy?.kind ?? null,
			requestedById: v.requestedBy?.id ?? null,
			requestedByRole: v.requestedBy?.role ?? null,
			reason: v.reason ?? null
		})
		.returning();
	await sendInTx(queue, tx, 'reports.monthly', { reportId: row.id } satisfies z.infer<typeof reportJob>);
	return row;
}

/** Reports left `generating` (their worker died, or their job is still queued), oldest first. */
export async function unfinishedReports(db: DbOrTx): Promise<string[]> {
	const rows = await db.select({ id: billingReports.id }).from(billingReports).where(eq(billingReports.status, 'generating')).orderBy(billingReports.createdAt);
	return rows.map((r) => r.id);
}
