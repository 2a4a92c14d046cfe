import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/lib/server/db/embedded';
import { createLogger } from '../../src/lib/server/telemetry/logger';

/**
 * One real embedded PostgreSQL per test run; each test file creates its own
 * database on it (tests/db.ts), so files run in parallel without sharing rows.
 */
export default async function setup(project: TestProject) {
	const dataDir = mkdtempSync(join(tmpdir(), 'wipecert-test-'));
	const cluster = await startEmbeddedPostgres({ dataDir, password: 'test-password-0123456789', log: createLogger('warn') });
	const admin = new URL(cluster.url);
	admin.pathname = '/postgres';
	project.provide('pgAdminUrl', admin.toString());
	return async () => {
		await cluster.stop();
		rmSync(dataDir, { recursive: true, force: true });
	};
}

declare module 'vitest' {
	export interface ProvidedContext {
		pgAdminUrl: string;
	}
}
