import { Readable } from 'node:stream';
import type { BillingReportDocument, ReportTenantRow, TenantRef } from '#lib/api/types.gen';
import { periodCertificates, type PeriodCertificate, type PeriodCursor } from '#lib/server/certificates';
import type { DbOrTx } from '#lib/server/db/client';
import { EXPORT_PAGE_ROWS, csvLine } from '#lib/server/http/export-stream';
import type { ObjectStore, StoredObject } from '#lib/server/storage';
import type { ReportContent } from './compute';
import type { ReportPeriod } from './period';

/**
 * The CSV and JSON files of a report, written to object storage as streams:
 * a tenant's certificates are read a keyset page at a time, so a month of a
 * million certificates costs the memory of one page. Both are pure functions
 * of the data (fixed column and key order, no generation time), so the same
 * month gives the same bytes.
 */
export const CERTIFICATE_COLUMNS = [
	'certificateId',
	'proofId',
	'issuedAt',
	'day',
	'status',
	'revokedAt',
	'mediaType',
	'manufacturer',
	'model',
	'serial',
	'capacityBytes',
	'method',
	'technique',
	'result',
	'attestation',
	'attestedBy',
	'agentSerial',
	'assetTag',
	'logIndex',
	'recordSha256'
] as const satisfies readonly (keyof PeriodCertificate)[];

export const TENANT_COLUMNS = ['tenantId', 'slug', 'name', 'opening', 'grants', 'topUps', 'consumptions', 'refunds', 'corrections', 'closing', 'issued', 'revoked', 'anchored', 'rejected'] as const;

const tenantValues = (t: ReportTenantRow) => [t.tenantId, t.slug, t.name, t.ledger.opening, t.ledger.grants, t.ledger.topUps, t.ledger.consumptions, t.ledger.refunds, t.ledger.corrections, t.ledger.closing, t.issued, t.revoked, t.anchored, t.rejected];

/** Whom and what a report is about. */
export type ReportSubject = { tenant: TenantRef | null; period: ReportPeriod };

/** A tenant's certificates of the period, page by page (none for the platform report). */
async function* certificatePages(db: DbOrTx, subject: ReportSubject): AsyncGenerator<PeriodCertificate[]> {
	if (!subject.tenant) return;
	let after: PeriodCursor | null = null;
	do {
		const page: Awaited<ReturnType<typeof periodCertificates>> = await periodCertificates(db, subject.tenant.id, subject.period, after, EXPORT_PAGE_ROWS);
		if (page.rows.length) yield page.rows;
		after = page.next;
	} while (after);
}

/** The CSV: one row per certificate (tenant report) or per tenant (platform report), RFC 4180 with a header. */
export async function* csvChunks(db: DbOrTx, subject: ReportSubject, content: ReportContent): AsyncGenerator<string> {
	if (!subject.tenant) {
		yield csvLine(TENANT_COLUMNS) + content.breakdown.tenants.map((t) => csvLine(tenantValues(t))).join('');
		return;
	}
	yield csvLine(CERTIFICATE_COLUMNS);
	for await (const rows of certificatePages(db, subject)) yield rows.map((r) => csvLine(CERTIFICATE_COLUMNS.map((k) => r[k]))).join('');
}

/** The JSON document (`BillingReportDocument`): the figures, then the certificates, one per line. */
export async function* jsonChunks(db: DbOrTx, subject: ReportSubject, content: ReportContent): AsyncGenerator<string> {
	const head: Omit<BillingReportDocument, 'certificates'> = {
		format: 'wipecert-billing-report/1',
		scope: subject.tenant ? 'tenant' : 'platform',
		tenant: subject.tenant ? { id: subject.tenant.id, slug: subject.tenant.slug, name: subject.tenant.name } : null,
		month: subject.period.month,
		timeZone: subject.period.timeZone,
		period: { start: subject.period.start.toISOString(), end: subject.period.end.toISOString() },
		totals: content.totals,
		breakdown: content.breakdown
	};
	yield `${JSON.stringify(head).slice(0, -1)},"certificates":[`;
	let first = true;
	for await (const rows of certificatePages(db, subject)) {
		yield rows.map((r) => (first ? ((first = false), '\n') : ',\n') + JSON.stringify(Object.fromEntries(CERTIFICATE_COLUMNS.map((k) => [k, r[k]])))).join('');
	}
	yield first ? ']}\n' : '\n]}\n';
}

/** Streams the chunks into the store under `key`; the store hashes what it writes. */
export function storeChunks(storage: ObjectStore, key: string, chunks: AsyncGenerator<string>, contentType: string): Promise<StoredObject> {
	const bytes = (async function* () {
		for await (const c of chunks) yield Buffer.from(c, 'utf8');
	})();
	return storage.putStream(key, Readable.from(bytes), { contentType });
}
