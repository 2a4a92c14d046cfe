import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile, access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, type ObjectStore, type StoredObject } from './types';

const notFound = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Filesystem store under DATA_DIR/objects. Writes go to a temporary file and
 * are renamed into place, so a crash never leaves half an object under a key.
 */
export function createFsStore(root: string): ObjectStore {
	const path = (key: string) => {
		assertKey(key);
		return join(root, key);
	};
	const tmp = (target: string) => `${target}.${randomBytes(6).toString('hex')}.tmp`;
	// Directories this store made or found: one mkdir syscall less per write (issue 8, ingest profile).
	// Only a hint: a directory removed behind our back fails the write, which forgets it and retries once.
	const made = new Set<string>();
	const ensureDir = async (dir: string) => {
		if (made.has(dir)) return;
		await mkdir(dir, { recursive: true });
		if (made.size > 100_000) made.clear();
		made.add(dir);
	};
	const writeNew = async (target: string, body: Uint8Array) => {
		const t = tmp(target);
		try {
			await writeFile(t, body);
		} catch (error) {
			if (!notFound(error) || !made.delete(dirname(target))) throw error;
			await ensureDir(dirname(target));
			await writeFile(t, body);
		}
		await rename(t, target);
	};

	return {
		kind: 'fs',
		async put(key, body): Promise<StoredObject> {
			const target = path(key);
			await ensureDir(dirname(target));
			await writeNew(target, body);
			return { key, size: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
		},
		async putStream(key, body: Readable): Promise<StoredObject> {
			const target = path(key);
			await mkdir(dirname(target), { recursive: true });
			const t = tmp(target);
			const hash = createHash('sha256');
			let size = 0;
			const meter = new Transform({
				transform(chunk: Buffer, _enc, done) {
					hash.update(chunk);
					size += chunk.length;
					done(null, chunk);
				}
			});
			try {
				await pipeline(body, meter, createWriteStream(t));
				await rename(t, target);
			} catch (error) {
				await rm(t, { force: true });
				throw error;
			}
			return { key, size, sha256: hash.digest('hex') };
		},
		async getBytes(key) {
			try {
				return new Uint8Array(await readFile(path(key)));
			} catch (e) {
				if (notFound(e)) return null;
				throw e;
			}
		},
		async getStream(key) {
			const p = path(key);
			try {
				await access(p, constants.R_OK);
			} catch (e) {
				if (notFound(e)) return null;
				throw e;
			}
			return createReadStream(p);
		},
		async head(key) {
			try {
				return { size: (await stat(path(key))).size };
			} catch (e) {
				if (notFound(e)) return null;
				throw e;
			}
		},
		async delete(key) {
			await rm(path(key), { force: true });
		},
		async ping() {
			await mkdir(root, { recursive: true });
			await access(root, constants.W_OK);
		}
	};
}
