import { certificatesByStatus } from '#lib/server/certificates';
import type { Database } from '#lib/server/db/client';
import { ledgerTotalsByKind } from '#lib/server/licences';
import { lastMaintenanceRuns } from '#lib/server/maintenance';
import { databaseConnections, oldestQueuedAges, type Queue } from '#lib/server/queue';
import type { Logger } from './logger';
import { certificatesByState, dbConnections, integrityBroken, licenceLedgerTotals, maintenanceLastRun, queueOldestAge } from './metrics';

/**
 * The platform-wide gauges beside the queue depths, read at scrape time:
 * oldest waiting job per queue, connections by process and state,
 * certificates by status, licence units by kind, the integrity verdict and
 * the last maintenance runs. Each group fails alone: a failure is logged and
 * leaves that group's last values.
 */
export async function collectPlatformMetrics(app: { queue: Queue; database: Database; log: Logger }): Promise<void> {
	const { queue, database } = app;
	const groups: [string, () => Promise<void>][] = [
		['queue ages', async () => (await oldestQueuedAges(queue)).forEach((age, name) => queueOldestAge.set({ queue: name }, age))],
		[
			'connections',
			async () => {
				const rows = await databaseConnections(queue);
				dbConnections.reset();
				for (const c of rows) dbConnections.set({ entry: c.entry, state: c.state }, c.n);
			}
		],
		['certificates', async () => (await certificatesByStatus(database.db)).forEach((c) => certificatesByState.set({ status: c.status }, c.n))],
		['licences', async () => (await ledgerTotalsByKind(database.db)).forEach((l) => licenceLedgerTotals.set({ kind: l.kind }, l.units))],
		[
			'maintenance',
			async () => {
				const runs = await lastMaintenanceRuns(database.db);
				for (const r of runs) maintenanceLastRun.set({ task: r.task }, r.finishedAt.getTime() / 1000);
				integrityBroken.set(runs.find((r) => r.task === 'verify_integrity')?.outcome === 'broken' ? 1 : 0);
			}
		]
	];
	await Promise.all(
		groups.map(async ([name, collect]) => {
			try {
				await collect();
			} catch (error) {
				app.log.warn({ err: error, metrics: name }, 'metrics unavailable');
			}
		})
	);
}
