import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { EXPORT_PAGE_ROWS, exportStream } from '#lib/server/http/export-stream';
import { chainOf } from './chain';
import { toRecord } from './list';
import { auditEvents } from './schema';

export type AuditExportQuery = {
	format: 'json' | 'ndjson';
	/** one chain (a tenant id, or null for the platform chain); undefined: every chain, one after the other */
	tenantId?: string | null;
	from?: Date;
	to?: Date;
};

/**
 * The chain export takes a stretch of each chain (`from`/`to`) and nothing
 * else: a row filtered out of the middle would break the links an auditor
 * recomputes. Any other filter is refused (422) rather than ignored.
 */
export function refuseChainFilters(filters: Record<string, unknown>): void {
	const given = Object.entries(filters).filter(([, v]) => v !== undefined && v !== '');
	if (given.length) throw new ApiError('validation_failed', undefined, given.map(([field]) => ({ field, problem: 'applies to format=csv only: the chain export takes from and to' })));
}

/**
 * Audit rows in chain order — chain by chain, `seq` ascending — with every
 * hashed field and `prevHash`/`hash`, so an auditor can recompute each chain
 * offline (the handbook's audit page). Read a keyset page at a time over the
 * (chain, seq) index, so memory stays flat however long the trail. With
 * `from`/`to` the export is a stretch of each chain; its first row's
 * `prevHash` is the link to the rows before it.
 */
export function exportAudit(db: DbOrTx, q: AuditExportQuery): ReadableStream<Uint8Array> {
	const chain = q.tenantId === undefined ? undefined : chainOf(q.tenantId);
	const page = async (after: { chain: string; seq: number } | null) => {
		const rows = await db
			.select()
			.from(auditEvents)
			.where(
				and(
					chain ? eq(auditEvents.chain, chain) : undefined,
					q.from ? gte(auditEvents.createdAt, q.from) : undefined,
					q.to ? lt(auditEvents.createdAt, q.to) : undefined,
					after ? sql`(${auditEvents.chain}, ${auditEvents.seq}) > (${after.chain}, ${after.seq})` : undefined
				)
			)
			.orderBy(asc(auditEvents.chain), asc(auditEvents.seq))
			.limit(EXPORT_PAGE_ROWS);
		const last = rows.at(-1);
		return { rows, next: rows.length === EXPORT_PAGE_ROWS && last ? { chain: last.chain, seq: Number(last.seq) } : null };
	};
	return exportStream(q.format, { columns: [], page, csv: () => [], json: toRecord });
}
