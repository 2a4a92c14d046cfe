import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/db';
import { createLogger } from '../telemetry/logger';
import { startWorkers } from '../workers/runner';
import { startQueue, type Queue } from './index';

/**
 * A worker loop on real pg-boss survives its database connections being
 * terminated (what a PostgreSQL restart or failover does to every backend):
 * pg-boss reports the broken connections as `error` events, which are logged,
 * its pool reconnects, and the loop goes on taking jobs — no exit, no
 * restart. A PostgreSQL restart on real processes is the chaos suite's
 * (bench/chaos); here the run's shared PostgreSQL stays up.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: Queue;
const handled: string[] = [];
const log = createLogger('silent');

beforeAll(async () => {
	db = await createTestDatabase();
	queue = await startQueue({ url: db.url, policy: { retryLimit: 3, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 }, log, supervise: false, max: 3 });
	await startWorkers(queue, [{ kind: 'maintenance', handlers: { maintenance: async (job) => void handled.push((job.data as { marker: string }).marker) } }], { concurrency: 1, log });
});
afterAll(async () => {
	await queue?.stop({ graceful: false, timeoutMs: 1000 });
	await db?.drop();
});

async function until(check: () => boolean, what: string, ms = 30_000) {
	const deadline = Date.now() + ms;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

const terminateQueueBackends = async () =>
	(await db.database.sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name like '%:queue' and pid <> pg_backend_pid()`).length;

describe('worker loops when the database drops their connections', () => {
	it('keep taking jobs after every pg-boss backend was terminated, three times over', async () => {
		await queue.boss.send('maintenance', { marker: 'before' });
		await until(() => handled.includes('before'), 'the first job');
		for (let round = 1; round <= 3; round++) {
			expect(await terminateQueueBackends()).toBeGreaterThan(0);
			const sent = await queue.boss.send('maintenance', { marker: `after-${round}` }).catch(async () => {
				// the sender's own pooled connection may be one of the terminated ones: the next attempt reconnects
				return queue.boss.send('maintenance', { marker: `after-${round}` });
			});
			expect(sent).toBeTruthy();
			await until(() => handled.includes(`after-${round}`), `the job sent after termination ${round}`);
		}
		expect(handled.filter((m) => m.startsWith('after-'))).toEqual(['after-1', 'after-2', 'after-3']);
	});
});
