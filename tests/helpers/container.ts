import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../src/jobs';
import { parseConfig, resolveConfig } from '../../src/lib/server/config';
import { startContainer, stopContainer, type Container } from '../../src/lib/server/container';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { startWorkers, type JobModule } from '../../src/lib/server/workers/runner';
import { createTestDatabase } from './db';

/**
 * The real container (database, pg-boss, storage, signer) on a fresh database
 * of the run's embedded PostgreSQL and a temporary DATA_DIR, with the given
 * worker kinds running in it.
 */
export async function startTestContainer(opts: { env?: Record<string, string>; workers?: JobModule[] } = {}): Promise<{
	app: Container;
	dataDir: string;
	databaseUrl: string;
	stop(): Promise<void>;
}> {
	const db = await createTestDatabase({ migrate: false });
	await db.database.close(1);
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-container-'));
	const config = resolveConfig(parseConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...opts.env }));
	const app = await startContainer({ config, log: createLogger('warn'), entry: 'test', migrate: true });
	if (opts.workers?.length) await startWorkers(app, opts.workers, build);
	return {
		app,
		dataDir,
		databaseUrl: db.url,
		async stop() {
			await stopContainer(app, 5000);
			await db.drop();
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
