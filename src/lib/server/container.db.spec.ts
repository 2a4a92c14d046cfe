import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../tests/helpers/db';
import { parseConfig, resolveConfig } from './config';
import { startContainer, stopContainer } from './container';
import { createLogger } from './telemetry/logger';

/**
 * The process container owns what it starts and stops all of it: after
 * `stopContainer` no pool has a connection left, the queue is stopped, the
 * signer is closed, and the keyring's use is kept for the next process.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
beforeAll(async () => {
	db = await createTestDatabase({ migrate: false });
	await db.database.close(1);
	dataDir = mkdtempSync(join(tmpdir(), 'wipecert-container-'));
});
afterAll(async () => {
	await db.drop();
	rmSync(dataDir, { recursive: true, force: true });
});

async function connectionsTo(url: string): Promise<string[]> {
	const admin = postgres(url, { max: 1, onnotice: () => {} });
	try {
		const rows = await admin<{ application_name: string }[]>`
			select application_name from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
		return rows.map((r) => r.application_name);
	} finally {
		await admin.end();
	}
}

describe('container', () => {
	it('stops in reverse order: no connection of its pools or queue is left, the signer is closed, its key use is kept', async () => {
		const config = resolveConfig(
			parseConfig({ DATA_DIR: dataDir, DATABASE_URL: db.url, INGEST_DATABASE_URL: db.url, NODE_ENV: 'test', LOG_LEVEL: 'warn', SIGNER_KEYS: '2' })
		);
		const app = await startContainer({ config, log: createLogger('silent'), entry: 'test', migrate: true });
		await app.ingestDatabase.sql`select 1`;
		expect(app.ingestDatabase).not.toBe(app.database);
		const signer = await app.signer();
		const batch = await signer.signBatch([{ id: 'r-1', bytes: Buffer.from('record') }]);
		expect((await connectionsTo(db.url)).length).toBeGreaterThan(0);

		await stopContainer(app, 5000);

		expect(await connectionsTo(db.url)).toEqual([]);
		await expect(signer.signBatch([{ id: 'r-2', bytes: Buffer.from('record') }])).rejects.toThrow(/closed/);
		await expect(app.database.sql`select 1`).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
		await expect(app.ingestDatabase.sql`select 1`).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
		// stopping twice is harmless
		await stopContainer(app, 1000);

		// the key's use was kept: the next process on this keyring starts from it (least recently used first)
		const again = await startContainer({ config, log: createLogger('silent'), entry: 'test' });
		try {
			const usage = await (await again.signer()).keyUsage();
			expect(usage.find((k) => k.keyId === batch.keyId)).toMatchObject({ batches: 1, lastUsedAt: expect.any(String) });
		} finally {
			await stopContainer(again, 5000);
		}
	});

	it('a failed start stops what already started: no connection is left', async () => {
		// a database whose schema the migrations cannot apply to (a table of theirs exists in another shape)
		const other = await createTestDatabase({ migrate: false });
		await other.database.sql`create table tenants (id text primary key)`;
		await other.database.close(1);
		const config = resolveConfig(parseConfig({ DATA_DIR: dataDir, DATABASE_URL: other.url, NODE_ENV: 'test', LOG_LEVEL: 'warn' }));
		try {
			await expect(startContainer({ config, log: createLogger('silent'), entry: 'test', migrate: true })).rejects.toThrow();
			expect(await connectionsTo(other.url)).toEqual([]);
		} finally {
			await other.drop();
		}
	});
});
