import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import yauzl from 'yauzl';
import { ApiError, type ErrorCode } from '#lib/server/http/errors';
import { readIdempotencyKey, withIdempotency, type IdempotentOutcome } from '#lib/server/idempotency';
import type { ProofStatus } from './schema';
import { checkDer, registerProofs, type StoredProof } from './submission';
import { storeOrUnavailable, type SubmitContext, type SubmittedBy } from './submit';

export type BulkItem = { name: string; publicId?: string; status?: ProofStatus; duplicate?: boolean; error?: { code: ErrorCode; message: string } };
export type BulkSubmission = { items: BulkItem[]; accepted: number; failed: number };

export type BulkLimits = { proofMaxBytes: number; bulkMaxBytes: number; concurrency: number; tmpDir: string };

const tooLarge = (max: number) => new ApiError('payload_too_large', `The upload is larger than ${max} bytes.`);

/**
 * Spools the request body to a file under DATA_DIR/tmp with a hard byte cap
 * and its SHA-256 (the Idempotency-Key request hash), so neither the upload
 * size nor a slow consumer can grow memory.
 */
async function spool(request: Request, file: string, max: number): Promise<string> {
	const declared = Number(request.headers.get('content-length') ?? NaN);
	if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
	if (!request.body) throw new ApiError('bad_request', 'The upload is empty.');
	const hash = createHash('sha256');
	let size = 0;
	const meter = new Transform({
		transform(chunk: Buffer, _enc, done) {
			size += chunk.length;
			if (size > max) return done(tooLarge(max));
			hash.update(chunk);
			done(null, chunk);
		}
	});
	try {
		await pipeline(Readable.fromWeb(request.body as NodeReadableStream), meter, createWriteStream(file, { mode: 0o600 }));
	} catch (error) {
		if (error instanceof ApiError) throw error;
		// Our own disk (full, quota, I/O): the client may retry later.
		if (['ENOSPC', 'EDQUOT', 'EIO', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '')) {
			throw new ApiError('service_unavailable', 'The upload could not be spooled to disk; retry later.', undefined, { 'retry-after': '30' });
		}
		// The client went away or the connection broke mid-upload: nothing was registered.
		throw new ApiError('bad_request', `The upload ended before its end: ${(error as Error).message}.`);
	}
	return hash.digest('hex');
}

/** Runs async tasks with at most `limit` in flight; `wait()` resolves when a slot is free. */
function pool(limit: number) {
	let active = 0;
	const waiters: (() => void)[] = [];
	const all = new Set<Promise<void>>();
	return {
		async wait() {
			while (active >= limit) await new Promise<void>((r) => waiters.push(r));
		},
		run(task: () => Promise<void>) {
			active++;
			const p = task().finally(() => {
				active--;
				waiters.shift()?.();
			});
			all.add(p);
			void p.then(() => all.delete(p), () => undefined);
		},
		/** Every task run so far, also those started while waiting; a failed task rejects (after the others settle). */
		async done() {
			while (all.size > 0) {
				const settled = await Promise.allSettled(all);
				const failed = settled.find((r) => r.status === 'rejected');
				if (failed) throw failed.reason;
			}
		}
	};
}

async function collect(stream: Readable, max: number): Promise<Buffer | null> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > max) {
			stream.destroy();
			return null;
		}
		chunks.push(chunk);
	}
	return Buffer.concat(chunks);
}

/**
 * `POST /api/v1/proofs/bulk`: multipart/form-data (one part per
 * file) or one zip. The body is spooled to disk, then the files are taken one
 * by one — at most BULK_CONCURRENCY in memory at once, each at most
 * PROOF_MAX_BYTES — each is stored on its own, and the stored ones are
 * registered 50 to a transaction, each with its own result. With an Idempotency-Key the whole answer
 * is stored: a retry with the same body gets it back; a retry after a crash
 * re-registers nothing twice (content de-duplication per tenant).
 */
export async function submitBulk(ctx: SubmitContext, http: { request: Request; url: URL }, by: SubmittedBy, limits: BulkLimits): Promise<IdempotentOutcome> {
	// The media type is case-insensitive, the multipart boundary is not (RFC 2046 §5.1.1):
	// browsers send mixed-case boundaries (----WebKitFormBoundary…), so only the test is lower-cased.
	const type = http.request.headers.get('content-type') ?? '';
	const media = type.toLowerCase();
	const kind = media.startsWith('multipart/form-data') ? 'multipart' : /^application\/(zip|x-zip-compressed)\b/.test(media) ? 'zip' : null;
	if (!kind) throw new ApiError('unsupported_media_type', 'Send multipart/form-data with one part per proof, or one application/zip archive.');
	const key = readIdempotencyKey(http.request);
	await mkdir(limits.tmpDir, { recursive: true, mode: 0o700 });
	const file = join(limits.tmpDir, `bulk-${randomBytes(8).toString('hex')}`);
	try {
		const requestHash = await spool(http.request, file, limits.bulkMaxBytes);
		const run = async () => ({ status: 202, body: await processSpool(ctx, by, limits, file, kind, type) });
		if (key === null) return { ...(await run()), replayed: false };
		return await withIdempotency(ctx.db, { scope: by.scope, key, method: http.request.method, path: http.url.pathname, requestHash: `${requestHash}:${type}` }, run, ctx.idempotency);
	} finally {
		await rm(file, { force: true });
	}
}

/** Files registered per transaction (registerProofs): one commit and one multi-row INSERT per batch instead of per file. */
const REGISTER_BATCH = 50;

async function processSpool(ctx: SubmitContext, by: SubmittedBy, limits: BulkLimits, file: string, kind: 'multipart' | 'zip', contentType: string): Promise<BulkSubmission> {
	const items: BulkItem[] = [];
	const tasks = pool(limits.concurrency);
	// Stored files waiting to be registered; a batch is registered by whichever file fills it, the rest at the end.
	let waiting: { index: number; name: string; stored: StoredProof }[] = [];
	const register = async (batch: typeof waiting) => {
		try {
			const list = batch.map((b) => ({ stored: b.stored, meta: { source: 'bulk' as const, submitter: by.submitter, filename: b.name, agentId: by.agentId } }));
			const accepted = await ctx.db.transaction((tx) => registerProofs(tx, ctx.queue, list));
			for (const [i, b] of batch.entries()) items[b.index] = { name: b.name, publicId: accepted[i].publicId, status: accepted[i].status, duplicate: accepted[i].duplicate };
		} catch (error) {
			if (!(error instanceof ApiError)) throw error;
			for (const b of batch) items[b.index] = { name: b.name, error: { code: error.code, message: error.message } };
		}
	};
	const one = async (index: number, name: string, bytes: Buffer | null) => {
		try {
			if (!bytes) throw new ApiError('payload_too_large', `This file is larger than ${limits.proofMaxBytes} bytes.`);
			checkDer(bytes);
			// stored first, then pushed: `waiting.push(…await…)` would push into the array as it was before the await
			const stored = await storeOrUnavailable(ctx.storage, by.tenantId, bytes);
			waiting.push({ index, name, stored });
		} catch (error) {
			if (!(error instanceof ApiError)) throw error;
			items[index] = { name, error: { code: error.code, message: error.message } };
			return;
		}
		if (waiting.length >= REGISTER_BATCH) {
			const batch = waiting;
			waiting = [];
			await register(batch);
		}
	};
	if (kind === 'zip') await eachZipEntry(file, limits, tasks, one);
	else await eachPart(file, contentType, limits, tasks, one);
	await tasks.done();
	if (waiting.length) await register(waiting);
	const accepted = items.filter((i) => i.publicId).length;
	return { items, accepted, failed: items.length - accepted };
}

type Pool = ReturnType<typeof pool>;
type Handle = (index: number, name: string, bytes: Buffer | null) => Promise<void>;

async function eachZipEntry(file: string, limits: BulkLimits, tasks: Pool, one: Handle): Promise<void> {
	let zip: yauzl.ZipFile;
	try {
		zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true });
	} catch (error) {
		throw new ApiError('unsupported_media_type', `The upload is not a readable zip archive: ${(error as Error).message}.`);
	}
	let index = 0;
	try {
		for await (const entry of zip.eachEntry()) {
			if (entry.fileName.endsWith('/')) continue;
			const i = index++;
			await tasks.wait();
			// Checked before inflating: a zip bomb's entry never reaches memory.
			const bytes = entry.uncompressedSize > limits.proofMaxBytes ? null : await collect(await zip.openReadStreamPromise(entry), limits.proofMaxBytes);
			tasks.run(() => one(i, entry.fileName, bytes));
		}
	} catch (error) {
		if (error instanceof ApiError) throw error;
		throw new ApiError('bad_request', `The zip archive is damaged: ${(error as Error).message}.`);
	} finally {
		zip.close();
	}
}

async function eachPart(file: string, contentType: string, limits: BulkLimits, tasks: Pool, one: Handle): Promise<void> {
	let bb: busboy.Busboy;
	try {
		bb = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: limits.proofMaxBytes, fieldSize: 1024 } });
	} catch {
		throw new ApiError('bad_request', 'The multipart body has no boundary.');
	}
	const malformed = (error: unknown) =>
		error instanceof ApiError ? error : new ApiError('bad_request', `The multipart body is malformed: ${(error as Error).message}.`);
	let index = 0;
	// Files parsed and waiting for a pool slot. Each one must be handed to the pool before this
	// function returns: busboy's 'close' comes as soon as the body is parsed, and a file still
	// waiting then used to be registered after the answer had been sent (its item was null).
	const handoffs = new Set<Promise<void>>();
	let failure: unknown;
	bb.on('file', (_field, stream, info) => {
		const i = index++;
		const name = info.filename || `part-${i + 1}`;
		const chunks: Buffer[] = [];
		// A body that ends inside a part ("Unexpected end of form") errors this stream too; without a
		// listener that error was thrown out of the event loop and stopped the whole process.
		stream.on('error', (error) => (failure ??= error));
		stream.on('data', (c: Buffer) => chunks.push(c));
		stream.on('end', () => {
			const bytes = (stream as Readable & { truncated?: boolean }).truncated ? null : Buffer.concat(chunks);
			const handoff = tasks.wait().then(() => tasks.run(() => one(i, name, bytes)));
			handoffs.add(handoff);
			void handoff.finally(() => handoffs.delete(handoff));
		});
	});
	bb.on('error', (error) => (failure ??= error));
	const closed = new Promise<void>((resolve) => bb.once('close', resolve));
	try {
		// The spool is fed to the parser by hand: no more of it is parsed while a parsed file still
		// waits for a slot, so at most BULK_CONCURRENCY files plus one read chunk's worth are in memory.
		for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
			if (failure) break;
			if (!bb.write(chunk)) await once(bb, 'drain');
			while (handoffs.size > 0) await Promise.all(handoffs);
		}
		if (!failure) {
			bb.end();
			await Promise.race([closed, once(bb, 'error')]);
		}
	} catch (error) {
		failure ??= error;
	}
	while (handoffs.size > 0) await Promise.all(handoffs);
	if (failure) throw malformed(failure);
}
