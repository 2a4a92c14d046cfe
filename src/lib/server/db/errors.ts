/**
 * What a failed database call means for the caller, read from the error and
 * its causes (drizzle wraps the driver's error in `cause`):
 * - `unavailable`: the database cannot be reached or is restarting — a 503
 *   with Retry-After; the client retries, nothing was half-done (the
 *   transaction did not commit);
 * - `bad_input`: PostgreSQL refused a value the request carried (a NUL byte
 *   in text, a malformed UUID or number) — a 400, not our fault.
 */
export type DatabaseFailure = 'unavailable' | 'bad_input';

/** postgres.js connection states, Node socket errors, pg's, and SQLSTATE class 08 / 57P0x / 53300. */
const UNAVAILABLE_CODES = new Set([
	'CONNECTION_CLOSED',
	'CONNECTION_ENDED',
	'CONNECTION_DESTROYED',
	'CONNECT_TIMEOUT',
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'EHOSTUNREACH',
	'ENOTFOUND',
	'EAI_AGAIN',
	'57P01', // admin_shutdown (pg_ctl stop -m fast, pg_terminate_backend)
	'57P02', // crash_shutdown
	'57P03', // cannot_connect_now (starting up, shutting down, in recovery)
	'53300' // too_many_connections
]);

/** SQLSTATE data exceptions that only a value from the request can cause in our statements. */
const BAD_INPUT_CODES = new Set(['22021', '22P02', '22P05', '22007', '22008', '22003', '22001']);

// pg's own messages, and PostgreSQL's 55000 when a database refuses new connections (ALTER DATABASE … ALLOW_CONNECTIONS false)
const PG_CONNECTION_MESSAGES = /^(Connection terminated|Client has encountered a connection error|connect ECONNREFUSED)|is not currently accepting connections/;

export function databaseFailure(error: unknown): DatabaseFailure | null {
	for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
		const code = String((e as { code?: unknown }).code ?? '');
		if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return 'unavailable';
		if (BAD_INPUT_CODES.has(code)) return 'bad_input';
		if (e instanceof Error && PG_CONNECTION_MESSAGES.test(e.message)) return 'unavailable';
	}
	return null;
}
