import { and, desc, eq, gte, isNull, like, lt, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '#lib/server/db/client';
import { decodeIntegerCursor, encodeCursor } from '#lib/server/http/cursor';
import { ApiError } from '#lib/server/http/errors';
import { auditEvents, type AuditEventRow } from './schema';

export type AuditFilter = {
	/** exact, or a prefix ending in `*` (`member.*`) */
	action?: string;
	actorId?: string;
	actorKind?: string;
	/** exact, or a prefix ending in `*` (`membership:*`) */
	target?: string;
	result?: 'success' | 'failure';
	/** inclusive */
	from?: Date;
	/** exclusive */
	to?: Date;
	correlationId?: string;
	cursor?: string | null;
	limit?: number;
};

/** What the API shows of a row. */
export type AuditRecord = {
	chain: string;
	seq: number;
	tenantId: string | null;
	actor: { kind: string; id: string | null; role: string | null } | null;
	action: string;
	target: string;
	result: 'success' | 'failure';
	correlationId: string;
	sourceIp: string | null;
	details: Record<string, unknown>;
	createdAt: string;
	prevHash: string;
	hash: string;
};

export type AuditPage = { items: AuditRecord[]; nextCursor: string | null };

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

/** The audit rows of one tenant, newest first (GET /api/v1/audit). The tenant comes from the actor, never from input. */
export function listTenantAudit(db: DbOrTx, tenantId: string, filter: AuditFilter = {}): Promise<AuditPage> {
	return listAudit(db, { ...filter, tenantId });
}

/**
 * Audit rows across the platform, newest first (GET /api/v1/admin/audit).
 * `tenantId`: one tenant; null: the platform chain only; omitted: everything.
 */
export async function listAudit(db: DbOrTx, filter: AuditFilter & { tenantId?: string | null } = {}): Promise<AuditPage> {
	const limit = Math.min(Math.max(filter.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
	const where: (SQL | undefined)[] = [];
	if (filter.tenantId === null) where.push(isNull(auditEvents.tenantId));
	else if (filter.tenantId !== undefined) where.push(eq(auditEvents.tenantId, filter.tenantId));
	if (filter.action) where.push(pattern(auditEvents.action, filter.action));
	if (filter.target) where.push(pattern(auditEvents.target, filter.target));
	if (filter.actorId) where.push(eq(auditEvents.actorId, filter.actorId));
	if (filter.actorKind) where.push(eq(auditEvents.actorKind, filter.actorKind));
	if (filter.result) where.push(eq(auditEvents.result, filter.result));
	if (filter.correlationId) where.push(eq(auditEvents.correlationId, filter.correlationId));
	if (filter.from) where.push(gte(auditEvents.createdAt, filter.from));
	if (filter.to) where.push(lt(auditEvents.createdAt, filter.to));
	if (filter.cursor) where.push(lt(auditEvents.id, decodeAuditCursor(filter.cursor)));
	const rows = await db
		.select()
		.from(auditEvents)
		.where(and(...where))
		.orderBy(desc(auditEvents.id))
		.limit(limit + 1);
	const page = rows.slice(0, limit);
	return {
		items: page.map(toRecord),
		nextCursor: rows.length > limit ? encodeAuditCursor(page[page.length - 1].id) : null
	};
}

/** `prefix*` → LIKE 'prefix%' (with LIKE's wildcards escaped); anything else is an exact match. */
function pattern(column: PgColumn, value: string): SQL {
	if (!value.endsWith('*')) return eq(column, value);
	const prefix = value.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
	return like(column, `${prefix}%`);
}

export function toRecord(row: AuditEventRow): AuditRecord {
	return {
		chain: row.chain,
		seq: Number(row.seq),
		tenantId: row.tenantId,
		actor: row.actorKind === null ? null : { kind: row.actorKind, id: row.actorId, role: row.actorRole },
		action: row.action,
		target: row.target,
		result: row.result,
		correlationId: row.correlationId,
		sourceIp: row.sourceIp,
		details: row.details,
		createdAt: row.createdAt.toISOString(),
		prevHash: row.prevHash,
		hash: row.hash
	};
}

/** The list's cursor: the last row's id (http/cursor.ts). */
export const encodeAuditCursor = (id: number): string => encodeCursor(String(id));
export const decodeAuditCursor = decodeIntegerCursor;
