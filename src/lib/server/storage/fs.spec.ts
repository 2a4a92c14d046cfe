import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { objectStoreContract } from './contract';
import { createFsStore } from './fs';

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

	it('ping fails when the objects directory cannot be used', async () => {
		const notADir = join(base, 'blocked');
		writeFileSync(notADir, 'a file where the directory should be');
		await expect(createFsStore(notADir).ping()).rejects.toThrow();
	});
});
