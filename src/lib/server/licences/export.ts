import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { EXPORT_PAGE_ROWS, exportStream, type ExportFormat } from '#lib/server/http/export-stream';
import { getTenant } from '#lib/server/tenancy';
import { licenceLedger } from './schema';

export const BILLING_EXPORT_COLUMNS = ['ledgerId', 'tenantId', 'tenantSlug', 'kind', 'amount', 'balanceAfter', 'proofId', 'reason', 'createdAt'] as const;

export type BillingExportQuery = { format: ExportFormat; from?: Date; to?: Date; tenantId?: string };

/** Keyset position: the booking time as PostgreSQL text (microseconds kept) and the row id. */
type Position = { at: string; id: number };

/**
 * The platform-wide billing export: every ledger row of every tenant (or of
 * one) booked in [from, to), oldest first (index created_at, id), streamed a
 * keyset page at a time so memory stays flat for millions of rows. Each row
 * carries its tenant's slug (looked up once per tenant).
 */
export function exportLedger(db: DbOrTx, q: BillingExportQuery): ReadableStream<Uint8Array> {
	const slugs = new Map<string, Promise<string>>();
	const slugOf = (tenantId: string) => {
		let slug = slugs.get(tenantId);
		if (!slug) slugs.set(tenantId, (slug = getTenant(db, tenantId).then((t) => t?.slug ?? '')));
		return slug;
	};
	const page = async (after: Position | null) => {
		const rows = await db
			.select({
				at: sql<string>`${licenceLedger.createdAt}::text`,
				ledgerId: licenceLedger.id,
				tenantId: licenceLedger.tenantId,
				kind: licenceLedger.kind,
				amount: licenceLedger.amount,
				balanceAfter: licenceLedger.balanceAfter,
				proofId: licenceLedger.proofPublicId,
				reason: licenceLedger.reason,
				createdAt: licenceLedger.createdAt
			})
			.from(licenceLedger)
			.where(
				and(
					q.tenantId ? eq(licenceLedger.tenantId, q.tenantId) : undefined,
					q.from ? gte(licenceLedger.createdAt, q.from) : undefined,
					q.to ? lt(licenceLedger.createdAt, q.to) : undefined,
					after ? sql`(${licenceLedger.createdAt}, ${licenceLedger.id}) > (${after.at}::timestamptz, ${after.id})` : undefined
				)
			)
			.orderBy(asc(licenceLedger.createdAt), asc(licenceLedger.id))
			.limit(EXPORT_PAGE_ROWS);
		const out = await Promise.all(
			rows.map(async ({ at: _at, createdAt, ...r }) => ({ ...r, tenantSlug: await slugOf(r.tenantId), createdAt: createdAt.toISOString() }))
		);
		const last = rows.at(-1);
		return { rows: out, next: rows.length === EXPORT_PAGE_ROWS && last ? { at: last.at, id: last.ledgerId } : null };
	};
	type Row = Awaited<ReturnType<typeof page>>['rows'][number];
	const json = (r: Row) => ({ ledgerId: r.ledgerId, tenantId: r.tenantId, tenantSlug: r.tenantSlug, kind: r.kind, amount: r.amount, balanceAfter: r.balanceAfter, proofId: r.proofId, reason: r.reason, createdAt: r.createdAt });
	return exportStream(q.format, { columns: BILLING_EXPORT_COLUMNS, page, json, csv: (r) => BILLING_EXPORT_COLUMNS.map((k) => json(r)[k]) });
}
