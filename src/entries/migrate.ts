/** `npm run migrate`: applies drizzle/ migrations, pg-boss's schema and the ingest role grants, then exits. */
import { loadConfigOrExit } from '#lib/server/config';
import { startPlatform, stopPlatform } from '#lib/server/platform';
import { logger } from '#lib/server/telemetry/logger';
import { ensureIngestRole } from '#lib/server/db/roles';

process.env.WIPECERT_ENTRY = 'migrate';
const config = loadConfigOrExit();
try {
	const p = await startPlatform({ config, migrate: true });
	if (!p.cluster) await ensureIngestRole(p.database, null);
	await stopPlatform();
	logger.info('migrations applied');
	process.exit(0);
} catch (error) {
	logger.fatal({ err: error }, (error as Error).message);
	process.exit(1);
}
