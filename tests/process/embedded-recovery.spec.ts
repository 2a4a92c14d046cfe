import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireBuild, startNode, tempDir, waitUntil, type NodeProcess } from '../helpers/process';

/**
 * When the process that runs the embedded PostgreSQL dies without stopping it
 * (kill -9, the crash a bad upload used to cause), the next `npm start` on the
 * same DATA_DIR recovers by itself: it adopts the orphaned server (and stops
 * it again on shutdown), and it removes a postmaster.pid whose pid now
 * belongs to another program. The built web entry, with the embedded database.
 */
beforeAll(() => requireBuild('index.js'));
const dir = tempDir('recovery');
afterAll(() => dir.remove());

const alive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
};
const postmasterPid = () => Number(readFileSync(join(dir.path, 'pg/postmaster.pid'), 'utf8').split('\n')[0]);

async function start(): Promise<NodeProcess & { origin: string }> {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const app = startNode('build/index.js', [], { NODE_ENV: 'development', PORT: String(port), ORIGIN: origin, DATA_DIR: dir.path, WORKERS: 'none', LOG_LEVEL: 'info' });
	await waitUntil(
		async () => {
			if (app.child.exitCode !== null) throw new Error(`the app exited:\n${app.output()}`);
			return (await fetch(`${origin}/readyz`).catch(() => null))?.ok;
		},
		'the app to be ready',
		120_000,
		250
	);
	return Object.assign(app, { origin });
}

describe('embedded PostgreSQL after its parent died', () => {
	it('a kill -9 leaves it running; the next start adopts it and stops it on shutdown', async () => {
		const first = await start();
		const pg = postmasterPid();
		first.child.kill('SIGKILL');
		await first.exited;
		expect(alive(pg)).toBe(true);

		const second = await start();
		expect(second.logs().some((l) => l.msg === 'adopted the embedded PostgreSQL its previous owner left running')).toBe(true);
		expect(postmasterPid()).toBe(pg);
		expect((await fetch(`${second.origin}/readyz`)).status).toBe(200);
		expect((await second.stop(30_000)).code).toBe(0);
		await waitUntil(() => !alive(pg), 'the adopted PostgreSQL to stop', 30_000);
	}, 300_000);

	it('a postmaster.pid naming a live process of another program is stale: the next start removes it and starts', async () => {
		const stranger = spawn('sleep', ['120'], { stdio: 'ignore' });
		try {
			const file = join(dir.path, 'pg/postmaster.pid');
			const port = await freePort();
			writeFileSync(file, `${stranger.pid}\n${join(dir.path, 'pg')}\n1700000000\n${port}\n/tmp\n127.0.0.1\n  1234  5678\nready\n`);
			const app = await start();
			expect(app.logs().some((l) => String(l.msg).startsWith('removing the stale postmaster.pid'))).toBe(true);
			expect(postmasterPid()).not.toBe(stranger.pid);
			expect((await app.stop(30_000)).code).toBe(0);
			expect(alive(stranger.pid!)).toBe(true);
		} finally {
			stranger.kill();
		}
	}, 300_000);
});
