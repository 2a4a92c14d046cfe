import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, access, constants } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKey, type ObjectStore, type StoredObject } from './types';

const notFound = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** A durability step, reported to an observer (tests check the order; production passes none). */
export type DurabilityStep = { op: 'fsync' | 'rename' | 'fsyncDir'; path: string; target?: string };

/**
 * fsync(2) by path. On a file it flushes its data whichever descriptor wrote it; on a
 * directory it makes the entries created or renamed in it survive a power loss.
 */
async function fsyncPath(dir: string): Promise<void> {
	const h = await open(dir, 'r');
	try {
		await h.sync();
	} finally {
		await h.close();
	}
}

/**
 * Filesystem store under DATA_DIR/objects. Writes go to a temporary file and
 * are renamed into place, so a crash never leaves half an object under a key.
 *
 * Why fsync: put/putStream return before the submission commits its proof row
 * and job in PostgreSQL (which is durable at commit). Without fsync the object
 * lives only in the page cache, so after a power loss a committed row could
 * point at an object that was never written (or at an empty/truncated file,
 * since ext4/xfs may persist the rename before the data). A committed row must
 * never point at a missing object, so every write is the POSIX durable rename:
 * write temp, fsync(temp), rename(temp, key), fsync(directory) — and a newly
 * made directory is fsynced into its parent too — all before returning.
 */
export function createFsStore(root: string, opts: { observe?: (step: DurabilityStep) => void } = {}): ObjectStore {
	const path = (key: string) => {
		assertKey(key);
		return join(root, key);
	};
	const observe = opts.observe ?? (() => {});
	const tmp = (target: string) => `${target}.${randomBytes(6).toString('hex')}.tmp`;
	// Directories this store made or found: one mkdir syscall less per write (ingest profile).
	// Only a hint: a directory removed behind our back fails the write, which forgets it and retries once.
	// The promise is shared, so a concurrent write into the same new directory waits for its fsyncs too.
	const made = new Map<string, Promise<void>>();
	const ensureDir = (dir: string): Promise<void> => {
		let ready = made.get(dir);
		if (!ready) {
			ready = (async () => {
				await mkdir(dir, { recursive: true });
				// Whoever created it (this call or another process), the directory's entry in each parent
				// must be durable before an object in it is reported stored: fsync the ancestors up to the
				// store root, once per directory and process.
				for (let d = dir; d !== root && d !== dirname(d) && d.startsWith(root); d = dirname(d)) {
					observe({ op: 'fsyncDir', path: dirname(d) });
					await fsyncPath(dirname(d));
				}
			})();
			ready.catch(() => made.delete(dir));
			if (made.size > 100_000) made.clear();
			made.set(dir, ready);
		}
		return ready;
	};
	const writeSynced = async (t: string, body: Uint8Array) => {
		const h = await open(t, 'wx');
		try {
			await h.writeFile(body);
			observe({ op: 'fsync', path: t });
			await h.sync();
		} catch (error) {
			await h.close();
			await rm(t, { force: true });
			throw error;
		}
		await h.close();
	};
	/** The temp file is already fsynced: rename it into place, then make the rename itself durable. */
	const publish = async (t: string, target: string) => {
		observe({ op: 'rename', path: t, target });
		await rename(t, target);
		observe({ op: 'fsyncDir', path: dirname(target) });
		await fsyncPath(dirname(target));
	};
	const writeNew = async (target: string, body: Uint8Array) => {
		const t = tmp(target);
		try {
			await writeSynced(t, body);
		} catch (error) {
			if (!notFound(error) || !made.delete(dirname(target))) throw error;
			await ensureDir(dirname(target));
			await writeSynced(t, body);
		}
		try {
			await publish(t, target);
		} catch (error) {
			await rm(t, { force: true });
			throw error;
		}
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
			// Rare (bulk uploads): always check the directory rather than trust the cache.
			made.delete(dirname(target));
			await ensureDir(dirname(target));
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
				const h = await open(t, 'wx');
				// The stream closes the handle when it finishes or fails; fsync happens on a second handle
				// (fsync flushes the file, whichever descriptor it is called on).
				await pipeline(body, meter, h.createWriteStream());
				observe({ op: 'fsync', path: t });
				await fsyncPath(t);
				await publish(t, target);
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
