import type { z } from 'zod';
import { recordAudit } from '#lib/server/audit';
import type { Db, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { sendInTx, type Queue } from '#lib/server/queue';
import { getTenant, type AuditContext } from '#lib/server/tenancy';
import { tenantsBefore } from './generate';
import { monthPeriod, parseMonth, type Month } from './period';
import type { BillingReport } from './schema';
import { addVersion, reportJob, unfinishedReports } from './versions';

/** The platform-wide report counts its months in UTC. */
export const PLATFORM_TIME_ZONE = 'UTC';

/**
 * Creates (or updates: pg-boss upserts by queue and key) the monthly
 * schedule on REPORTS_CRON. pg-boss's cron pass, which any process with a
 * supervised queue runs, sends the job once per occurrence, whatever the
 * number of processes.
 */
export async function ensureReportSchedule(queue: Queue, cron: string): Promise<void> {
	await queue.boss.schedule('reports.monthly', cron, { schedule: true } satisfies z.infer<typeof reportJob>, { tz: 'UTC' });
}

export type MonthPass = { month: Month; created: number; waiting: number; nextPassAt: string | null };

/**
 * One pass of the monthly schedule over `month`: the first version of the
 * report of every tenant whose month has ended in its own time zone (and
 * which existed before it ended), and of the platform report (UTC). A month
 * that already has a version is left as it is, so a pass run twice creates
 * nothing the second time. Tenants west of UTC end their month hours after
 * UTC does: for them a later pass of the same month is queued, at the
 * earliest such end (one per instant: pg-boss `singletonKey`).
 */
export async function scheduleMonth(db: Db, queue: Queue, month: Month, now = new Date()): Promise<MonthPass> {
	parseMonth(month);
	return db.transaction(async (tx) => {
		let created = 0;
		const waiting: Date[] = [];
		for (const t of await tenantsBefore(tx, now)) {
			const period = await monthPeriod(tx, month, t.timeZone);
			if (t.createdAt >= period.end) continue;
			if (period.end > now) {
				waiting.push(period.end);
				continue;
			}
			if (await addVersion(tx, queue, { tenantId: t.id, period, language: t.language }, { firstOnly: true })) created++;
		}
		const platform = await monthPeriod(tx, month, PLATFORM_TIME_ZONE);
		if (platform.end <= now) {
			if (await addVersion(tx, queue, { tenantId: null, period: platform, language: 'en' }, { firstOnly: true })) created++;
		} else waiting.push(platform.end);
		let nextPassAt: Date | null = null;
		if (waiting.length) {
			nextPassAt = new Date(Math.min(...waiting.map((d) => d.getTime())) + 60_000);
			await sendInTx(queue, tx, 'reports.monthly', { month } satisfies z.infer<typeof reportJob>, {
				startAfter: nextPassAt,
				singletonKey: `reports:${month}:${nextPassAt.toISOString()}`
			});
		}
		return { month, created, waiting: waiting.length, nextPassAt: nextPassAt?.toISOString() ?? null };
	});
}

/** A job for every report left `generating` (a worker that died mid-report): the next worker goes on with it. */
export async function resumeUnfinished(db: Db, queue: Queue): Promise<number> {
	const ids = await unfinishedReports(db);
	if (ids.length) await queue.boss.insert('reports.monthly', ids.map((reportId) => ({ data: { reportId } satisfies z.infer<typeof reportJob> })));
	return ids.length;
}

export type RunInput = { month: Month; tenantId?: string; reason?: string };

/**
 * A platform admin generates a month again: a new version of one tenant's
 * report, or of every tenant's whose month has ended (in its time zone) and
 * of the platform report. Published versions stay as they are. A month that
 * has not ended yet is refused (422); an unknown tenant is 404. Audited as
 * `report.regenerate`: on the tenant's chain for one tenant, on the platform
 * chain (one row listing the versions) for all.
 */
export async function runReports(tx: Tx, queue: Queue, input: RunInput, ctx: AuditContext, now = new Date()): Promise<BillingReport[]> {
	const notEnded = (zone: string) => new ApiError('validation_failed', undefined, [{ field: 'month', problem: `has not ended yet in ${zone}` }]);
	const requested = { requestedBy: ctx.actor, reason: input.reason ?? null };
	if (input.tenantId) {
		const t = await getTenant(tx, input.tenantId);
		if (!t) throw new ApiError('not_found', 'No tenant with this id.');
		const period = await monthPeriod(tx, input.month, t.timeZone);
		if (period.end > now) throw notEnded(t.timeZone);
		const row = (await addVersion(tx, queue, { tenantId: t.id, period, language: t.language, ...requested }))!;
		await recordAudit(tx, { ...ctx, tenantId: t.id, action: 'report.regenerate', target: `report:${row.id}`, result: 'success', details: { month: input.month, version: row.version, reason: input.reason ?? null } });
		return [row];
	}
	const rows: BillingReport[] = [];
	for (const t of await tenantsBefore(tx, now)) {
		const period = await monthPeriod(tx, input.month, t.timeZone);
		if (period.end <= now && t.createdAt < period.end) rows.push((await addVersion(tx, queue, { tenantId: t.id, period, language: t.language, ...requested }))!);
	}
	const platform = await monthPeriod(tx, input.month, PLATFORM_TIME_ZONE);
	if (platform.end <= now) rows.push((await addVersion(tx, queue, { tenantId: null, period: platform, language: 'en', ...requested }))!);
	if (!rows.length) throw notEnded(PLATFORM_TIME_ZONE);
	await recordAudit(tx, {
		...ctx,
		tenantId: null,
		action: 'report.regenerate',
		target: `reports:${input.month}`,
		result: 'success',
		details: { month: input.month, reason: input.reason ?? null, versions: rows.map((r) => ({ scope: r.scope, version: r.version, reportId: r.id })) }
	});
	return rows;
}
