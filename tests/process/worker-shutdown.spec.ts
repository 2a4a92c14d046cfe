import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueue, type Queue } from '../../src/lib/server/queue';
import { createLogger } from '../../src/lib/server/telemetry/logger';
import { createTestDatabase } from '../helpers/db';
import { requireBuild, startNode, tempDir, waitUntil, type NodeProcess } from '../helpers/process';

/**
 * `node build/worker.js` as a real process against a fresh database:
 * SIGTERM mid-job finishes or releases the job, never loses it.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: Queue;
const data = tempDir('worker');
const running: NodeProcess[] = [];
// The same retry policy the worker processes get through their settings.
const policyEnv = { QUEUE_RETRY_LIMIT: '3', QUEUE_RETRY_DELAY: '1', QUEUE_RETRY_BACKOFF: 'false', QUEUE_JOB_TIMEOUT: '60' };

beforeAll(async () => {
	requireBuild('worker.js');
	db = await createTestDatabase();
	queue = await startQueue({
		url: db.url,
		policy: { retryLimit: 3, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 },
		log: createLogger('silent'),
		supervise: false,
		max: 2
	});
});
afterAll(async () => {
	await Promise.all(running.map((p) => p.stop(2000)));
	await queue?.stop({ graceful: false, timeoutMs: 1000 });
	await db?.drop();
	data.remove();
});

function worker(env: Record<string, string> = {}, args = ['maintenance']) {
	const proc = startNode('build/worker.js', args, {
		NODE_ENV: 'test',
		DATA_DIR: data.path,
		DATABASE_URL: db.url,
		LOG_LEVEL: 'info',
		WORKER_CONCURRENCY: '1',
		// schedules that never come due during a run: a scheduled job sent mid-test would be claimed as an extra job
		MAINTENANCE_CRON: '0 0 1 1 *',
		MAINTENANCE_RETENTION_CRON: '0 0 1 1 *',
		MAINTENANCE_ANONYMISE_CRON: '0 0 1 1 *',
		MAINTENANCE_INTEGRITY_CRON: '0 0 1 1 *',
		...policyEnv,
		...env
	});
	running.push(proc);
	return proc;
}

const jobState = async (id: string) =>
	(await db.database.sql<{ state: string }[]>`select state from pgboss.job where name = 'maintenance' and id = ${id}`)[0]?.state ?? null;
const runRecorded = async (id: string) => (await db.database.sql`select 1 from maintenance_runs where job_id = ${id}`).length === 1;

describe('graceful shutdown of a worker process', () => {
	it('SIGTERM mid-job: the job finishes, is completed and recorded, the process exits 0', async () => {
		const proc = worker({ SHUTDOWN_TIMEOUT: '30' });
		await proc.waitForLog((l) => l.msg === 'worker running', 'worker running', 30_000);
		const id = (await queue.boss.send('maintenance', { task: 'selfcheck', holdSeconds: 3 }))!;
		await waitUntil(async () => (await jobState(id)) === 'active', 'job active', 15_000);
		proc.child.kill('SIGTERM');
		const exit = await proc.exit(30_000);
		expect(exit, proc.output()).toEqual({ code: 0, signal: null });
		expect(await jobState(id)).toBe('completed');
		expect(await runRecorded(id)).toBe(true);
		const order = proc
			.logs()
			.map((l) => l.msg as string)
			.filter((m) => ['shutting down', 'job completed', 'stopping workers and queue', 'stopped'].includes(m));
		expect(order).toEqual(['shutting down', 'stopping workers and queue', 'job completed', 'stopped']);
	});

	it('SIGTERM past SHUTDOWN_TIMEOUT: the job is released for retry, and a later worker completes it', async () => {
		const first = worker({ SHUTDOWN_TIMEOUT: '1' });
		await first.waitForLog((l) => l.msg === 'worker running', 'worker running', 30_000);
		const id = (await queue.boss.send('maintenance', { task: 'selfcheck', holdSeconds: 5 }))!;
		await waitUntil(async () => (await jobState(id)) === 'active', 'job active', 15_000);
		first.child.kill('SIGTERM');
		const exit = await first.exit(30_000);
		expect(exit, first.output()).toEqual({ code: 0, signal: null });
		expect(['retry', 'created']).toContain(await jobState(id));

		// WORKER_ONCE with the kind from WORKER_KIND: one claim pass, then exit 0.
		await waitUntil(
			async () => (await db.database.sql`select 1 from pgboss.job where id = ${id} and start_after <= now()`).length === 1,
			'retry delay over',
			10_000
		);
		const second = worker({ WORKER_ONCE: 'true', WORKER_KIND: 'maintenance' }, []);
		expect((await second.exit(30_000)).code, second.output()).toBe(0);
		expect(second.logs().find((l) => l.msg === 'one claim pass done')).toMatchObject({ handled: 1 });
		expect(await jobState(id)).toBe('completed');
		expect(await runRecorded(id)).toBe(true);
	});
});

describe('worker entry', () => {
	it('WORKER_ONCE=true with nothing queued runs one pass and exits 0', async () => {
		const proc = worker({ WORKER_ONCE: 'true' });
		expect((await proc.exit(30_000)).code, proc.output()).toBe(0);
		expect(proc.logs().find((l) => l.msg === 'one claim pass done')).toMatchObject({ handled: 0 });
	});

	it('an unknown kind, or none, exits 2 with the usage', async () => {
		for (const args of [['nonsense'], []]) {
			const proc = worker({}, args);
			expect((await proc.exit(15_000)).code).toBe(2);
			expect(proc.output()).toMatch(/usage: worker KIND .*maintenance/);
		}
	});
});
