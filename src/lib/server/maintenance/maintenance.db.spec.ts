import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maintenance } from '../../../jobs/maintenance';
import { startTestContainer } from '../../../../tests/helpers/container';
import { waitUntil } from '../../../../tests/helpers/process';
import { OWN_SCHEDULES, SCHEDULED_TASKS } from './index';

/**
 * Scheduled maintenance: starting the maintenance
 * worker creates one pg-boss schedule per purge on MAINTENANCE_CRON, and the
 * job a schedule sends, claimed by the real worker, deletes expired rows and
 * keeps live ones.
 */
let t: Awaited<ReturnType<typeof startTestContainer>>;
beforeAll(async () => {
	t = await startTestContainer({
		workers: [maintenance],
		env: { MAINTENANCE_CRON: '7 * * * *', EVENT_RETENTION_DAYS: '3', MAINTENANCE_RETENTION_CRON: '1 2 * * *', MAINTENANCE_ANONYMISE_CRON: '3 4 * * *', MAINTENANCE_INTEGRITY_CRON: '*/5 * * * *' }
	});
});
afterAll(async () => t?.stop());

const count = async (query: string) => Number((await t.app.database.sql.unsafe(query))[0].n);

describe('maintenance schedules', () => {
	it('worker start created one schedule per purge on MAINTENANCE_CRON and one per task with its own setting', async () => {
		const schedules = await t.app.queue.boss.getSchedules('maintenance');
		expect(schedules.map((s) => s.key).sort()).toEqual([...SCHEDULED_TASKS, ...Object.keys(OWN_SCHEDULES)].sort());
		const own: Record<string, string> = { apply_retention: '1 2 * * *', anonymise: '3 4 * * *', verify_integrity: '*/5 * * * *' };
		for (const s of schedules) {
			expect(s.cron).toBe(own[s.key] ?? '7 * * * *');
			expect(s.data).toEqual({ task: s.key });
		}
	});

	it('the scheduled jobs purge expired rows and keep live ones', async () => {
		const sql = t.app.database.sql;
		const [user] = await sql`insert into users (issuer, subject) values ('https://idp.test', ${randomUUID()}) returning id`;
		const sid = () => randomBytes(32).toString('hex');
		const [expired, idle, live] = [sid(), sid(), sid()];
		await sql`insert into sessions (id, user_id, expires_at, last_seen_at) values
			(${expired}, ${user.id}, now() - interval '1 minute', now()),
			(${idle}, ${user.id}, now() + interval '1 hour', now() - interval '1 day'),
			(${live}, ${user.id}, now() + interval '1 hour', now())`;
		await sql`insert into rate_limit_counters (bucket, subject, window_start, hits, expires_at) values
			('signin', '192.0.2.1', now() - interval '2 minutes', 3, now() - interval '1 minute'),
			('signin', '192.0.2.2', now(), 1, now() + interval '1 minute')`;
		await sql`insert into idempotency_keys (scope, key, method, path, request_hash, expires_at) values
			('s', 'old', 'POST', '/x', 'h', now() - interval '1 minute'),
			('s', 'new', 'POST', '/x', 'h', now() + interval '1 hour')`;
		const tenant = randomUUID();
		await sql`insert into tenant_events (tenant_id, type, data, created_at) values
			(${tenant}, 'old', '{}', now() - interval '4 days'),
			(${tenant}, 'new', '{}', now() - interval '2 days')`;
		const agent = randomUUID();
		await sql`insert into agent_request_nonces (agent_id, nonce, created_at) values
			(${agent}, 'old', now() - interval '1 day'),
			(${agent}, 'new', now())`;
		await sql`insert into dev_idp_artifacts (model, id, payload, expires_at) values
			('Session', 'old', '{}', now() - interval '1 minute'),
			('Session', 'new', '{}', now() + interval '1 hour')`;

		// pg-boss sends exactly the schedule's data on each occurrence; send it now instead of waiting for the cron
		const schedules = await t.app.queue.boss.getSchedules('maintenance');
		const ids = await Promise.all(schedules.map((s) => t.app.queue.boss.send('maintenance', s.data ?? {})));
		await waitUntil(
			async () => {
				const jobs = await t.app.queue.boss.findJobs('maintenance');
				const ours = jobs.filter((j) => ids.includes(j.id));
				return ours.length === ids.length && ours.every((j) => j.state === 'completed');
			},
			'the maintenance jobs to complete',
			30_000,
			200
		);

		expect((await sql`select id from sessions where user_id = ${user.id}`).map((r) => r.id)).toEqual([live]);
		expect(await count(`select count(*) n from rate_limit_counters where subject = '192.0.2.1'`)).toBe(0);
		expect(await count(`select count(*) n from rate_limit_counters where subject = '192.0.2.2'`)).toBe(1);
		expect((await sql`select key from idempotency_keys where scope = 's'`).map((r) => r.key)).toEqual(['new']);
		expect((await sql`select type from tenant_events where tenant_id = ${tenant}`).map((r) => r.type)).toEqual(['new']);
		expect((await sql`select nonce from agent_request_nonces where agent_id = ${agent}`).map((r) => r.nonce)).toEqual(['new']);
		expect((await sql`select id from dev_idp_artifacts where model = 'Session'`).map((r) => r.id)).toEqual(['new']);
	});
});
