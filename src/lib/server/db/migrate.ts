import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from './client';

/** drizzle/ holds the committed SQL migrations; `npm run migrate` and the embedded mode apply them. */
export function migrationsFolder(): string {
	const candidates = [process.env.WIPECERT_MIGRATIONS, resolve('drizzle'), resolve(import.meta.dirname ?? '.', '../drizzle')];
	const found = candidates.find((c) => c && existsSync(resolve(c, 'meta/_journal.json')));
	if (!found) throw new Error(`SQL migrations not found (looked in ${candidates.filter(Boolean).join(', ')})`);
	return found;
}

export async function applyMigrations(database: Database): Promise<void> {
	// One migrator at a time across processes: a worker and the web server may start together.
	// The session lock lives on one reserved connection, not the pool.
	const lock = await database.sql.reserve();
	try {
		await lock`select pg_advisory_lock(hashtext('wipecert:migrate'))`;
		await migrate(database.db, { migrationsFolder: migrationsFolder(), migrationsSchema: 'drizzle' });
	} finally {
		await lock`select pg_advisory_unlock(hashtext('wipecert:migrate'))`.catch(() => undefined); // the lock ends with the session anyway
		lock.release();
	}
}

/**
 * Migrations of this build that the database has not applied yet (drizzle
 * records each applied one with its journal timestamp in
 * `drizzle.__drizzle_migrations`). /readyz answers 503 while any is pending:
 * a process of a new build never takes traffic on an old schema.
 */
export async function pendingMigrations(database: Database): Promise<number> {
	const journal = JSON.parse(readFileSync(resolve(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
	const [{ table }] = await database.sql<{ table: string | null }[]>`select to_regclass('drizzle.__drizzle_migrations')::text as table`;
	if (!table) return journal.entries.length;
	const [{ last }] = await database.sql<{ last: string }[]>`select coalesce(max(created_at), 0)::text as last from drizzle.__drizzle_migrations`;
	return journal.entries.filter((e) => e.when > Number(last)).length;
}
