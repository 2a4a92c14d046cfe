import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { createLogger } from '../telemetry/logger';
import { registry } from '../telemetry/metrics';
import { workOn } from '../workers/runner';
import { QUEUES, deadLetterOf, queueDepths, sendInTx, startQueue, type Queue, type RetryPolicy } from './index';

/**
 * The queue on a real pg-boss in a fresh database of the run's embedded
 * PostgreSQL.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: Queue;
const log = createLogger('silent');
const policy: RetryPolicy = { retryLimit: 1, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 };

beforeAll(async () => {
	db = await createTestDatabase();
	queue = await startQueue({ url: db.url, policy, log, supervise: false, max: 3 });
});
afterAll(async () => {
	await queue?.stop({ graceful: false, timeoutMs: 1000 });
	await db?.drop();
});

const jobsWith = async (marker: string) =>
	(await db.database.sql<{ id: string; state: string; name: string }[]>`
		select id, state, name from pgboss.job where data->>'marker' = ${marker}`);

describe('sendInTx: a change and its job commit together', () => {
	it('a rolled-back transaction leaves no job (and no row)', async () => {
		const marker = 'rollback-1';
		await expect(
			db.database.db.transaction(async (tx) => {
				await tx.execute(sql`insert into maintenance_runs (task, job_id, worker_pid, started_at) values ('t', ${marker}, 1, now())`);
				const id = await sendInTx(queue, tx, 'maintenance', { task: 'selfcheck', marker });
				expect(id).toMatch(/[0-9a-f-]{36}/);
				// Inside the transaction the job is visible...
				const [{ n }] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from pgboss.job where data->>'marker' = ${marker}`);
				expect(n).toBe(1);
				throw new Error('roll back');
			})
		).rejects.toThrow('roll back');
		// ...and after the rollback neither the row nor the job exists.
		expect(await jobsWith(marker)).toEqual([]);
		expect((await db.database.sql`select 1 from maintenance_runs where job_id = ${marker}`).length).toBe(0);
	});

	it('a committed transaction keeps the job, queued in its queue', async () => {
		const marker = 'commit-1';
		let id: string | null = null;
		await db.database.db.transaction(async (tx) => {
			await tx.execute(sql`insert into maintenance_runs (task, job_id, worker_pid, started_at) values ('t', ${marker}, 1, now())`);
			id = await sendInTx(queue, tx, 'maintenance', { task: 'selfcheck', marker });
		});
		const jobs = await jobsWith(marker);
		expect(jobs).toEqual([{ id, state: 'created', name: 'maintenance' }]);
		expect((await db.database.sql`select 1 from maintenance_runs where job_id = ${marker}`).length).toBe(1);
		// Another connection (pg-boss's own pool) sees it too: it was really committed.
		const job = await queue.boss.getJobById('maintenance', id!);
		expect(job?.data).toMatchObject({ marker });
		await queue.boss.deleteJob('maintenance', id!);
	});
});

describe('the catalogue', () => {
	it('every queue exists with its dead-letter queue and the retry policy from settings', async () => {
		for (const name of QUEUES) {
			const q = await queue.boss.getQueue(name);
			expect(q, name).not.toBeNull();
			expect(q).toMatchObject({ retryLimit: 1, retryDelay: 1, retryBackoff: false, expireInSeconds: 60, deadLetter: deadLetterOf(name) });
			const dead = await queue.boss.getQueue(deadLetterOf(name));
			expect(dead, deadLetterOf(name)).not.toBeNull();
			expect(dead!.retryLimit).toBe(0);
		}
	});

	it('a restart with other settings updates the policy of existing queues', async () => {
		const other = await startQueue({
			url: db.url,
			policy: { retryLimit: 7, retryDelay: 3, retryBackoff: true, expireInSeconds: 120 },
			log,
			supervise: false,
			max: 1
		});
		try {
			for (const name of QUEUES) {
				expect(await other.boss.getQueue(name)).toMatchObject({ retryLimit: 7, retryDelay: 3, retryBackoff: true, expireInSeconds: 120 });
			}
		} finally {
			await other.stop({ graceful: false, timeoutMs: 1000 });
			// put the suite's policy back for the other tests of this file
			const again = await startQueue({ url: db.url, policy, log, supervise: false, max: 1 });
			await again.stop({ graceful: false, timeoutMs: 1000 });
		}
	});
});

describe('queueDepths', () => {
	it('counts jobs live, per catalogue queue (not pg-boss\'s cached monitor counts)', async () => {
		const ids = await Promise.all([1, 2, 3].map((n) => queue.boss.send('reports.monthly', { n })));
		const depth = (await queueDepths(queue)).find((d) => d.queue === 'reports.monthly')!;
		expect(depth).toEqual({ queue: 'reports.monthly', queued: 3, active: 0, failed: 0, deadLetters: 0 });
		expect((await queueDepths(queue)).map((d) => d.queue)).toEqual([...QUEUES]);
		for (const id of ids) await queue.boss.deleteJob('reports.monthly', id!);
		expect((await queueDepths(queue)).find((d) => d.queue === 'reports.monthly')!.queued).toBe(0);
	});
});

describe('failing jobs', () => {
	it('a job that keeps failing ends in <queue>.dead after the retry limit, and is counted', async () => {
		const marker = 'always-fails';
		let attempts = 0;
		await workOn(
			queue,
			'maintenance',
			{
				maintenance: async (job) => {
					if ((job.data as { marker?: string }).marker !== marker) return null;
					attempts++;
					throw new Error('disk on fire');
				}
			},
			{ concurrency: 1, log }
		);
		const id = await queue.boss.send('maintenance', { marker });
		const deadline = Date.now() + 20_000;
		let dead: { sourceId: string | null; data: unknown }[] = [];
		while (Date.now() < deadline) {
			dead = await queue.boss.findJobs('maintenance.dead', {});
			if (dead.some((j) => j.sourceId === id)) break;
			await new Promise((r) => setTimeout(r, 200));
		}
		await queue.boss.offWork('maintenance');
		const letter = dead.find((j) => j.sourceId === id);
		expect(letter, 'dead letter of the failing job').toBeDefined();
		expect(letter!.data).toMatchObject({ marker });
		// first attempt + retryLimit (1) retries
		expect(attempts).toBe(2);
		const original = await queue.boss.getJobById('maintenance', id!);
		expect(original?.state).toBe('failed');
		const depth = (await queueDepths(queue)).find((d) => d.queue === 'maintenance')!;
		expect(depth.deadLetters).toBeGreaterThanOrEqual(1);
		const metrics = await registry.getSingleMetricAsString('wipecert_jobs_total');
		expect(metrics).toMatch(/wipecert_jobs_total\{queue="maintenance",outcome="failed"\} 2/);
	});
});
