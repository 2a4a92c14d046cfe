/**
 * Monthly billing reports: per tenant (in its time zone) and for the whole
 * platform (UTC), computed only from the append-only licence ledger, the
 * certificate rows and the proofs' timeline; each version kept with its CSV,
 * JSON and signed PDF statement in object storage and their SHA-256 in its
 * row. The `reports` worker runs the schedule (REPORTS_CRON) and generates.
 */
export { generateReport, reportRow, artefactKey, type ReportDeps, type GenerateOutcome } from './generate';
export { ensureReportSchedule, scheduleMonth, resumeUnfinished, runReports, PLATFORM_TIME_ZONE, type MonthPass, type RunInput } from './schedule';
export { reportJob } from './versions';
export { listReports, getReport, reportArtefact, reportViews, type ReportReader, type ReportFormat } from './queries';
export { tenantContent, platformContent, type ReportContent } from './compute';
export { monthPeriod, previousMonth, daysOf, type Month, type ReportPeriod } from './period';
export { CERTIFICATE_COLUMNS, TENANT_COLUMNS } from './artefacts';
export { REPORT_STATUSES, PLATFORM_SCOPE, type BillingReport, type ReportStatus } from './schema';
