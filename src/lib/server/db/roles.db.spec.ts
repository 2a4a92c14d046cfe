import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { sendInTx, startQueue, type Queue } from '../queue';
import { createLogger } from '../telemetry/logger';
import { openDatabase } from './client';
import { INGEST_GRANTS, INGEST_ROLE, ensureIngestRole } from './roles';

/** The least-privilege ingest role on the run's real PostgreSQL. */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let queue: Queue;
let ingest: postgres.Sql;
const password = 'ingestPw_' + Math.random().toString(36).slice(2) + 'x'.repeat(16);

beforeAll(async () => {
	db = await createTestDatabase();
	// pg-boss creates its schema; the role is granted what it needs there.
	queue = await startQueue({ url: db.url, policy: { retryLimit: 0, retryDelay: 1, retryBackoff: false, expireInSeconds: 60 }, log: createLogger('silent'), supervise: false, max: 1 });
	await ensureIngestRole(db.database, password);
	const url = new URL(db.url);
	url.username = INGEST_ROLE;
	url.password = password;
	ingest = postgres(url.toString(), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
	await ingest?.end();
	await queue?.stop({ graceful: false, timeoutMs: 1000 });
	await db?.drop();
});

describe('ingest role', () => {
	it('logs in with its generated password and is no superuser', async () => {
		const [me] = await ingest`select current_user as name, (select rolsuper from pg_roles where rolname = current_user) as super`;
		expect(me).toEqual({ name: INGEST_ROLE, super: false });
	});

	it('cannot read or write a table it was not granted', async () => {
		expect(INGEST_GRANTS.filter((g) => g.table === 'maintenance_runs')).toEqual([]);
		await expect(ingest`select * from maintenance_runs`).rejects.toMatchObject({ code: '42501' });
		await expect(ingest`insert into maintenance_runs (task, job_id, worker_pid, started_at) values ('x', 'y', 1, now())`).rejects.toMatchObject({
			code: '42501'
		});
		await expect(ingest`select * from drizzle.__drizzle_migrations`).rejects.toMatchObject({ code: '42501' });
	});

	it('cannot read tenants; may only ask whether a tenant it names is active (suspended tenants are refused at submission)', async () => {
		const [t] = await db.database.sql`insert into tenants (slug, name) values (${'roles-' + Date.now()}, 'Roles test') returning id`;
		expect((await ingest`select tenant_is_active(${t.id}::uuid) as active`)[0].active).toBe(true);
		await db.database.sql`update tenants set status = 'suspended' where id = ${t.id}`;
		expect((await ingest`select tenant_is_active(${t.id}::uuid) as active`)[0].active).toBe(false);
		for (const column of ['id', 'status', 'name', 'slug']) {
			await expect(ingest.unsafe(`select ${column} from tenants limit 1`)).rejects.toMatchObject({ code: '42501' });
		}
		await expect(ingest`update tenants set status = 'active' where id = ${t.id}`).rejects.toMatchObject({ code: '42501' });
		await expect(ingest`select * from users limit 1`).rejects.toMatchObject({ code: '42501' });
	});

	it('has exactly the grants INGEST_GRANTS lists on public tables', async () => {
		const rows = await db.database.sql<{ table_name: string; privilege_type: string }[]>`
			select table_name, privilege_type from information_schema.role_table_grants
			where grantee = ${INGEST_ROLE} and table_schema = 'public' order by 1, 2`;
		const expected = INGEST_GRANTS.flatMap((g) => g.privileges.map((p) => ({ table_name: g.table.replace(/^public\./, ''), privilege_type: p })));
		expect(rows.map((r) => ({ ...r }))).toEqual(
			expected.sort((a, b) => a.table_name.localeCompare(b.table_name) || a.privilege_type.localeCompare(b.privilege_type))
		);
	});

	it('may send a job inside its own transaction (sendInTx) but never update or delete jobs', async () => {
		const ingestDb = drizzle({ client: ingest });
		const id = await ingestDb.transaction((tx) => sendInTx(queue, tx, 'proofs.validated', { from: 'ingest' }));
		expect((await queue.boss.getJobById('proofs.validated', id!))?.data).toEqual({ from: 'ingest' });
		await expect(ingest`update pgboss.job set state = 'completed' where id = ${id}`).rejects.toMatchObject({ code: '42501' });
		await expect(ingest`delete from pgboss.job where id = ${id}`).rejects.toMatchObject({ code: '42501' });
		await queue.boss.deleteJob('proofs.validated', id!);
	});

	it('is idempotent and safe when several processes ensure it at once', async () => {
		const others = [0, 1, 2].map(() => openDatabase(db.url, 1));
		try {
			await Promise.all(others.map((o) => ensureIngestRole(o, password)));
		} finally {
			await Promise.all(others.map((o) => o.close(1)));
		}
		const [again] = await ingest`select 1 as ok`;
		expect(again.ok).toBe(1);
	});
});
