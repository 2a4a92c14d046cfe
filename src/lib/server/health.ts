import type { Container } from './container';
import { pendingMigrations } from './db/migrate';

export type Check = { name: 'database' | 'queue' | 'storage' | 'migrations'; ok: boolean; ms: number; error?: string };

async function timed(name: Check['name'], fn: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
	const started = performance.now();
	try {
		await Promise.race([
			fn(),
			new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref())
		]);
		return { name, ok: true, ms: Math.round(performance.now() - started) };
	} catch (error) {
		return { name, ok: false, ms: Math.round(performance.now() - started), error: (error as Error).message };
	}
}

/** Readiness: can this process use the database, the queue and the object store right now, on this build's schema? */
export async function readiness(p: Pick<Container, 'database' | 'queue' | 'storage'>): Promise<{ ready: boolean; checks: Check[] }> {
	const checks = await Promise.all([
		timed('database', () => p.database.sql`select 1`),
		timed('queue', () => p.queue.boss.getDb().executeSql('select 1 from pgboss.version limit 1')),
		timed('storage', () => p.storage.ping()),
		timed('migrations', async () => {
			const pending = await pendingMigrations(p.database);
			if (pending) throw new Error(`${pending} migration(s) of this build not applied yet: run migrate (compose: db-migrate)`);
		})
	]);
	return { ready: checks.every((c) => c.ok), checks };
}
