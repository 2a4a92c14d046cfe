import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db';

/**
 * postgres.js 3.4.9 writes small messages from a setImmediate; when the
 * connection closed in between, `socket` is null and the TypeError escapes as
 * an uncaught exception that stops the whole process (a PostgreSQL restart
 * killed the web server this way). patches/postgres+3.4.9.patch, applied by
 * `postinstall` (patch-package), guards the write and settles the query with
 * CONNECTION_CLOSED. The reproduction runs in a child process twice: against
 * the installed (patched) driver, and against a copy with the patch reversed,
 * which must still crash — so this test fails if the patch stops applying.
 */
const PATCH = resolve('patches/postgres+3.4.9.patch');

// A reserved connection whose backend was terminated, then used again once the
// client has seen the close (socket null): the next write is the fatal one.
const REPRODUCTION = `
const [,, modulePath, url] = process.argv;
const { default: postgres } = await import(modulePath);
const sql = postgres(url, { max: 2, onnotice: () => {} });
const killer = postgres(url, { max: 1, onnotice: () => {} });
const reserved = await sql.reserve();
const [{ pid }] = await reserved\`select pg_backend_pid() as pid\`;
await killer\`select pg_terminate_backend(\${pid})\`;
while ((await killer\`select 1 from pg_stat_activity where pid = \${pid}\`).length) await new Promise((r) => setTimeout(r, 20));
// the backend is gone; give the client's socket its 'close' event
await new Promise((r) => setTimeout(r, 200));
const first = await reserved\`select 1\`.then(() => 'ok', (e) => e.code);
const second = await reserved\`select 1\`.then(() => 'ok', (e) => e.code);
const pooled = await sql\`select 1 as one\`.then((r) => r[0].one, (e) => e.code);
console.log(JSON.stringify({ first, second, pooled }));
process.exit(0);
`;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;

beforeAll(async () => {
	db = await createTestDatabase({ migrate: false });
	dir = mkdtempSync(join(tmpdir(), 'wipecert-pgpatch-'));
	writeFileSync(join(dir, 'repro.mjs'), REPRODUCTION);
});

afterAll(async () => {
	await db?.drop();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

function reproduce(driverDir: string) {
	const r = spawnSync(process.execPath, [join(dir, 'repro.mjs'), join(driverDir, 'src/index.js'), db.url], { encoding: 'utf8', timeout: 30_000 });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('postgres.js write after close (patches/postgres+3.4.9.patch)', () => {
	it('is applied to the installed driver (ESM and CommonJS builds)', () => {
		for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
			expect(readFileSync(resolve('node_modules/postgres', file), 'utf8')).toMatch(/function nextWrite\(fn\) \{\n\s+if \(!socket\) \{/);
		}
	});

	it('settles the query with CONNECTION_CLOSED instead of stopping the process', () => {
		const r = reproduce(resolve('node_modules/postgres'));
		expect(r.err).not.toContain('TypeError');
		expect(r.code).toBe(0);
		expect(JSON.parse(r.out.trim().split('\n').pop()!)).toEqual({ first: 'CONNECTION_CLOSED', second: 'CONNECTION_CLOSED', pooled: 1 });
	});

	it('without the patch, the same sequence stops the process with the uncaught TypeError', () => {
		const copy = join(dir, 'postgres');
		cpSync(resolve('node_modules/postgres'), copy, { recursive: true });
		const reversed = spawnSync('patch', ['-R', '-p3', '-d', copy, '-i', PATCH], { encoding: 'utf8' });
		expect(reversed.status, reversed.stderr).toBe(0);
		const r = reproduce(copy);
		expect(r.code).not.toBe(0);
		expect(r.err).toContain("TypeError: Cannot read properties of null (reading 'write')");
		expect(r.err).toContain('nextWrite');
	});
});
