import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/lib/server/db/client';
import { applyMigrations } from '../../src/lib/server/db/migrate';

/** A fresh database on the run's embedded PostgreSQL, migrated; one per test file. */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<{
	url: string;
	database: Database;
	drop(): Promise<void>;
}> {
	const adminUrl = inject('pgAdminUrl');
	const name = `t_${randomBytes(6).toString('hex')}`;
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`create database ${name}`);
	await admin.end();
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	const database = openDatabase(url.toString(), 5);
	if (opts.migrate ?? true) await applyMigrations(database);
	return {
		url: url.toString(),
		database,
		async drop() {
			await database.close(1);
			const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
			await a.unsafe(`drop database if exists ${name} with (force)`);
			await a.end();
		}
	};
}
