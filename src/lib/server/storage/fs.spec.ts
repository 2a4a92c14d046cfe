import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { objectStoreContract } from './contract';
import { createFsStore, type DurabilityStep } from './fs';

const base = mkdtempSync(join(tmpdir(), 'wipecert-fs-store-'));
const root = join(base, 'objects');
afterAll(() => rmSync(base, { recursive: true, force: true }));

objectStoreContract('filesystem', () => createFsStore(root));

describe('filesystem store specifics', () => {
	const walk = (dir: string): string[] =>
		readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

	it('keeps objects under DATA_DIR/objects by key, and leaves no temporary files behind', async () => {
		const store = createFsStore(root);
		await store.put('tenants/t1/proofs/p1.der', new Uint8Array([1, 2]));
		async function* failing() {
			yield Buffer.from('partial');
			throw new Error('cut');
		}
		await expect(store.putStream('tenants/t1/proofs/p2.der', Readable.from(failing()))).rejects.toThrow('cut');
		const files = walk(root);
		expect(files).toContain(join(root, 'tenants/t1/proofs/p1.der'));
		expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
	});

	// A committed proof row must never point at a missing object: the bytes and the rename must be
	// on disk before put/putStream return (POSIX durable rename). The observer sees the real syscalls'
	// order; at each step we also look at the final key, which must never show the temporary file.
	it('fsyncs the temp file before renaming it into place, then fsyncs the directory, before returning', async () => {
		const steps: (DurabilityStep & { keyVisible: boolean })[] = [];
		let target = '';
		const store = createFsStore(root, { observe: (s) => steps.push({ ...s, keyVisible: existsSync(target) }) });
		const shape = () => steps.filter((s) => s.path.startsWith(dirname(target))).map((s) => [s.op, s.keyVisible]);

		target = join(root, 'tenants/t2/proofs/new-dir/p1.der');
		await store.put('tenants/t2/proofs/new-dir/p1.der', new Uint8Array([1, 2, 3]));
		const tmpPath = steps.find((s) => s.op === 'fsync')!.path;
		expect(tmpPath).toMatch(/p1\.der\.[0-9a-f]+\.tmp$/);
		expect(steps.find((s) => s.op === 'rename')).toMatchObject({ path: tmpPath, target });
		// The new directory itself was made durable in its parent, up to the first existing ancestor.
		expect(steps.filter((s) => s.op === 'fsyncDir').map((s) => s.path)).toContain(join(root, 'tenants/t2/proofs'));
		expect(shape().slice(-3)).toEqual([
			['fsync', false],
			['rename', false],
			['fsyncDir', true]
		]);

		steps.length = 0;
		target = join(root, 'tenants/t2/proofs/new-dir/p2.zip');
		await store.putStream('tenants/t2/proofs/new-dir/p2.zip', Readable.from([Buffer.from('a'), Buffer.from('b')]));
		expect(shape()).toEqual([
			['fsync', false],
			['rename', false],
			['fsyncDir', true]
		]);

		// A failed stream is never synced nor renamed: nothing under the key, no temporary file.
		steps.length = 0;
		target = join(root, 'tenants/t2/proofs/new-dir/p3.zip');
		async function* failing() {
			yield Buffer.from('partial');
			throw new Error('cut');
		}
		await expect(store.putStream('tenants/t2/proofs/new-dir/p3.zip', Readable.from(failing()))).rejects.toThrow('cut');
		expect(steps.filter((s) => s.op !== 'fsyncDir')).toEqual([]);
		expect(existsSync(target)).toBe(false);
		expect(walk(join(root, 'tenants/t2')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

		// Another process (here: another store) that finds the directory already made cannot know
		// whether its maker fsynced it into its parent yet: it makes the ancestors durable itself.
		const other: DurabilityStep[] = [];
		await createFsStore(root, { observe: (s) => other.push(s) }).put('tenants/t2/proofs/new-dir/p4.der', new Uint8Array([4]));
		const renameAt = other.findIndex((s) => s.op === 'rename');
		expect(other.slice(0, renameAt).filter((s) => s.op === 'fsyncDir').map((s) => s.path)).toEqual(
			['tenants/t2/proofs', 'tenants/t2', 'tenants', ''].map((d) => join(root, d))
		);
	});

	it('ping fails when the objects directory cannot be used', async () => {
		const notADir = join(base, 'blocked');
		writeFileSync(notADir, 'a file where the directory should be');
		await expect(createFsStore(notADir).ping()).rejects.toThrow();
	});
});
