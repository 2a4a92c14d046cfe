import { ApiError } from './errors';

/**
 * Opaque list cursors: base64url of the last row's sort key. Keyset
 * pagination: the next page starts after that key, so rows inserted meanwhile
 * neither repeat nor go missing. A cursor this server did not hand out is a
 * 400 with the `cursor` field named, never a 500.
 */
const invalid = () => new ApiError('bad_request', 'The cursor is not one this list handed out.', [{ field: 'cursor', problem: 'invalid' }]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(key: string): string {
	return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
	// base64url of a sort key is short: no decoding a megabyte to refuse it
	if (cursor.length > 1024) throw invalid();
	const key = Buffer.from(cursor, 'base64url').toString('utf8');
	// no control characters: they are never part of a sort key, and PostgreSQL's text refuses NUL
	if (!key || encodeCursor(key) !== cursor || /[\u0000-\u001f\u007f]/.test(key)) throw invalid();
	return key;
}

/** A cursor of a list ordered by (sort key, row id), the id breaking ties. */
export const encodeKeyset = (key: string, id: string): string => encodeCursor(`${key}|${id}`);

export function decodeKeyset(cursor: string): { key: string; id: string } {
	const text = decodeCursor(cursor);
	const bar = text.lastIndexOf('|');
	const id = text.slice(bar + 1);
	if (bar < 0 || !UUID.test(id)) throw invalid();
	return { key: text.slice(0, bar), id };
}

/** A cursor of a list ordered by (time, row id), newest first. */
export const encodeTimeKeyset = (at: Date, id: string): string => encodeKeyset(at.toISOString(), id);

/** What `toISOString` writes for years 0–9999: a JavaScript date outside PostgreSQL's range failed the query (500). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function decodeTimeKeyset(cursor: string): { at: Date; id: string } {
	const { key, id } = decodeKeyset(cursor);
	const at = new Date(key);
	if (!ISO_TIME.test(key) || Number.isNaN(at.getTime())) throw invalid();
	return { at, id };
}

/** A cursor of a list ordered by an integer id. */
export function decodeIntegerCursor(cursor: string): number {
	const n = Number(decodeCursor(cursor));
	if (!Number.isSafeInteger(n) || n < 0) throw invalid();
	return n;
}
