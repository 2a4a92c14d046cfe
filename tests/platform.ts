import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, resolveConfig } from '../src/lib/server/config';
import { startPlatform, stopPlatform, type Platform } from '../src/lib/server/platform';
import { createLogger } from '../src/lib/server/telemetry/logger';
import type { JobModule } from '../src/lib/server/workers/runner';
import { createTestDatabase } from './db';

/**
 * The real platform (database, pg-boss, storage) on a fresh database of the
 * run's embedded PostgreSQL and a temporary DATA_DIR.
 */
export async function startTestPlatform(opts: { env?: Record<string, string>; workers?: JobModule[] } = {}): Promise<{
	platform: Platform;
	dataDir: string;
	databaseUrl: string;
	stop(): Promise<void>;
}> {
	const db = await createTestDatabase({ migrate: false });
	await db.database.close(1);
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-platform-'));
	const config = resolveConfig(
		parseConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...opts.env })
	);
	const platform = await startPlatform({ config, migrate: true, workers: opts.workers, log: createLogger('warn') });
	return {
		platform,
		dataDir,
		databaseUrl: db.url,
		async stop() {
			await stopPlatform(5000);
			await db.drop();
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
