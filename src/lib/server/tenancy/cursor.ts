import { ApiError } from '#lib/server/http/errors';

/** Opaque list cursors (base64url of the last sort key); a bad one is a 400, not a 500. */
export function encodeCursor(key: string): string {
	return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
	const key = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!key || encodeCursor(key) !== cursor) throw new ApiError('bad_request', 'The cursor is not one this list handed out.', [{ field: 'cursor', problem: 'invalid' }]);
	return key;
}
