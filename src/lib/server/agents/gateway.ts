import { openDatabase, type Database } from '#lib/server/db/client';
import { platform } from '#lib/server/platform';
import { logger } from '#lib/server/telemetry/logger';

let gateway: Database | undefined;
let warned = false;

/**
 * The database connection `/ingest/v1` runs on: the least-privilege
 * `wipecert_ingest` role (ARCHITECTURE: ingest role) whenever the platform
 * knows its URL (embedded mode generates it; production sets
 * INGEST_DATABASE_URL). So the agent gateway works with the ingest grants in
 * every entry, not only in `ingest`, and a missing grant shows at once.
 * Without that URL it falls back to the app connection, with one warning.
 * Its pool is as large as the app's (DATABASE_POOL_SIZE): at half the size,
 * 50 agents queued for 5 connections and the gateway took 178 proofs/s
 * (p99 712 ms); with 10, 291 proofs/s (p99 299 ms) (issue 8 ingest benchmark).
 */
export function gatewayDatabase(): Database {
	const p = platform();
	if (!p.ingestDatabaseUrl) {
		if (!warned) {
			warned = true;
			logger.warn('INGEST_DATABASE_URL is not set: /ingest/v1 uses the app database role');
		}
		return p.database;
	}
	gateway ??= openDatabase(p.ingestDatabaseUrl, p.config.DATABASE_POOL_SIZE);
	return gateway;
}

export async function closeGatewayDatabase(): Promise<void> {
	const g = gateway;
	gateway = undefined;
	await g?.close(5);
}
