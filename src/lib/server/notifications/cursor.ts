import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import { decodeKeyset, encodeKeyset } from '#lib/server/http/cursor';
import { ApiError } from '#lib/server/http/errors';

/**
 * Keyset pages over (created_at, id), newest first. The cursor keeps
 * PostgreSQL's microseconds as text: many deliveries share a millisecond
 * (one outbox insert writes a whole batch), and a JS Date would round them.
 */
export const cursorAt = (createdAt: AnyColumn) => sql<string>`(${createdAt} at time zone 'UTC')::text || '+00'`;

export function afterCursor(cursor: string | undefined, createdAt: AnyColumn, id: AnyColumn): SQL | undefined {
	if (!cursor) return undefined;
	const { key, id: after } = decodeKeyset(cursor);
	if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/.test(key)) {
		throw new ApiError('bad_request', 'The cursor is not one this list handed out.', [{ field: 'cursor', problem: 'invalid' }]);
	}
	return sql`(${createdAt}, ${id}) < (${key}::timestamptz, ${after}::uuid)`;
}

export function page<T extends { id: string; cursorAt: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
	const items = rows.slice(0, limit);
	const last = items[items.length - 1];
	return { items, nextCursor: rows.length > limit && last ? encodeKeyset(last.cursorAt, last.id) : null };
}
