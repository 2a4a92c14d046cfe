import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestContainer } from '../../../../tests/helpers/container';

/**
 * A worker loop on real pg-boss survives its database connections being
 * terminated (what a PostgreSQL restart or failover does to every backend):
 * pg-boss reports the broken connections as `error` events, which are logged,
 * its pool reconnects, and the loop goes on taking jobs — no exit, no
 * restart. A PostgreSQL restart on real processes is the chaos suite's
 * (bench/chaos); here the run's shared PostgreSQL stays up.
 */
let env: Awaited<ReturnType<typeof startTestContainer>>;
let admin: postgres.Sql;
const handled: string[] = [];

beforeAll(async () => {
	env = await startTestContainer({
		workers: [{ kind: 'maintenance', bind: async () => ({ maintenance: async (job) => void handled.push((job.data as { marker: string }).marker) }) }]
	});
	admin = postgres(env.databaseUrl, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
	await admin?.end({ timeout: 1 });
	await env?.stop();
});

async function until(check: () => boolean, what: string, ms = 30_000) {
	const deadline = Date.now() + ms;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

const terminateQueueBackends = async () =>
	(await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name like '%:queue' and pid <> pg_backend_pid()`).length;

describe('worker loops when the database drops their connections', () => {
	it('keep taking jobs after every pg-boss backend was terminated, three times over', async () => {
		await env.app.queue.boss.send('maintenance', { marker: 'before' });
		await until(() => handled.includes('before'), 'the first job');
		for (let round = 1; round <= 3; round++) {
			expect(await terminateQueueBackends()).toBeGreaterThan(0);
			// the sender's pooled connections were terminated too: each failed send drops one, as a
			// request answering 503 would; the pool reconnects for the next
			let sent: string | null = null;
			for (let attempt = 0; !sent && attempt < 10; attempt++) sent = await env.app.queue.boss.send('maintenance', { marker: `after-${round}` }).catch(() => null);
			expect(sent).toBeTruthy();
			await until(() => handled.includes(`after-${round}`), `the job sent after termination ${round}`);
		}
		expect(handled.filter((m) => m.startsWith('after-'))).toEqual(['after-1', 'after-2', 'after-3']);
	});
});
