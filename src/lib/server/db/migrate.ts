import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { existsSync } from 'node:fs';
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
