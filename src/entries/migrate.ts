/** `npm run migrate`: applies drizzle/ migrations, pg-boss's schema and the ingest role grants, then exits. */
import { loadConfigOrExit } from '#lib/server/config';
import { startContainer, stopContainer } from '#lib/server/container';
import { logger } from '#lib/server/telemetry/logger';
import { ensureIngestRole } from '#lib/server/db/roles';

process.env.WIPECERT_ENTRY = 'migrate';
const config = loadConfigOrExit();
try {
	const app = await startContainer({ config, log: logger, entry: 'migrate', migrate: true });
	if (!app.cluster) await ensureIngestRole(app.database, null);
	await stopContainer(app);
	logger.info('migrations applied');
	process.exit(0);
} catch (error) {
	logger.fatal({ err: error }, (error as Error).message);
	process.exit(1);
}
