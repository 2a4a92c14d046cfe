import { ensureReportSchedule, generateReport, previousMonth, reportJob, resumeUnfinished, scheduleMonth } from '#lib/server/reports';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The reports worker: on REPORTS_CRON (by default 02:00 UTC on the 1st) a
 * pass over the month just closed creates the first version of each tenant's
 * report and of the platform's, one `reports.monthly` job per report; each
 * such job generates one report (CSV, JSON, signed PDF) and publishes it.
 * When it starts, reports a dead worker left `generating` are queued again.
 */
export const reports: JobModule = {
	kind: 'reports',
	async bind(app) {
		const { config, database, queue, storage } = app;
		await ensureReportSchedule(queue, config.REPORTS_CRON);
		await resumeUnfinished(database.db, queue);
		const deps = { db: database.db, sql: database.sql, storage, signer: app.signer, origin: config.origin, tsaUrl: config.TSA_URL };
		return {
			'reports.monthly': async (job) => {
				const data = reportJob.parse(job.data);
				if ('reportId' in data) return generateReport(deps, data.reportId);
				return scheduleMonth(database.db, queue, 'month' in data ? data.month : previousMonth(new Date()));
			}
		};
	}
};
