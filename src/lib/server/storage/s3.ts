import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { assertKey, type ObjectStore, type StoredObject } from './types';

type S3Options = {
	endpoint: string;
	bucket: string;
	region: string;
	accessKey: string;
	secretKey: string;
	/** bytes per multipart part of putStream; S3 requires at least 5 MiB (all parts but the last) */
	partSize?: number;
};

const isNotFound = (e: unknown) => {
	const code = (e as { code?: string }).code;
	return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
};

/** S3/MinIO store on the `minio` client; the bucket is created on first use. */
export function createS3Store(opts: S3Options): ObjectStore {
	const partSize = Math.max(opts.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
	const url = new URL(opts.endpoint);
	const client = new Client({
		endPoint: url.hostname,
		port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
		useSSL: url.protocol === 'https:',
		accessKey: opts.accessKey,
		secretKey: opts.secretKey,
		region: opts.region,
		pathStyle: true
	});
	let bucketReady: Promise<void> | undefined;
	const bucket = () =>
		(bucketReady ??= (async () => {
			if (!(await client.bucketExists(opts.bucket))) await client.makeBucket(opts.bucket, opts.region);
		})().catch((error) => {
			bucketReady = undefined;
			throw error;
		}));

	return {
		kind: 's3',
		async put(key, body, o = {}): Promise<StoredObject> {
			assertKey(key);
			await bucket();
			const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
			await client.putObject(opts.bucket, key, buf, buf.length, { 'Content-Type': o.contentType ?? 'application/octet-stream' });
			return { key, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
		},
		async putStream(key, body: Readable, o = {}): Promise<StoredObject> {
			assertKey(key);
			await bucket();
			// Our own multipart upload rather than minio's putObject(stream): for a stream of unknown
			// length minio sizes parts for a 5 TiB object (≈576 MiB held in memory per part) and first
			// lists incomplete uploads to resume one. Here memory stays at about one part.
			const headers = { 'Content-Type': o.contentType ?? 'application/octet-stream' };
			const hash = createHash('sha256');
			let size = 0;
			let pending: Buffer[] = [];
			let pendingBytes = 0;
			let uploadId: string | null = null;
			const parts: { part: number; etag: string }[] = [];
			const flush = async () => {
				const chunk = Buffer.concat(pending);
				pending = [];
				pendingBytes = 0;
				uploadId ??= await client.initiateNewMultipartUpload(opts.bucket, key, headers);
				const part = parts.length + 1;
				const { etag } = await client.uploadPart({ bucketName: opts.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} }, chunk);
				parts.push({ part, etag });
			};
			try {
				for await (const data of body) {
					const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array);
					hash.update(chunk);
					size += chunk.length;
					pending.push(chunk);
					pendingBytes += chunk.length;
					if (pendingBytes >= partSize) await flush();
				}
				if (uploadId === null) {
					const whole = Buffer.concat(pending);
					await client.putObject(opts.bucket, key, whole, whole.length, headers);
				} else {
					if (pendingBytes > 0) await flush();
					await client.completeMultipartUpload(opts.bucket, key, uploadId, parts);
				}
			} catch (error) {
				// Nothing is visible under the key until completion; aborting frees the stored parts. If the
				// abort fails too, the caller still needs the original error, and the bucket's
				// AbortIncompleteMultipartUpload lifecycle rule removes the leftovers.
				if (uploadId !== null) await client.abortMultipartUpload(opts.bucket, key, uploadId).catch(() => undefined);
				throw error;
			}
			return { key, size, sha256: hash.digest('hex') };
		},
		async getBytes(key) {
			const stream = await this.getStream(key);
			if (!stream) return null;
			const chunks: Buffer[] = [];
			for await (const chunk of stream) chunks.push(chunk as Buffer);
			return new Uint8Array(Buffer.concat(chunks));
		},
		async getStream(key) {
			assertKey(key);
			await bucket();
			try {
				return await client.getObject(opts.bucket, key);
			} catch (e) {
				if (isNotFound(e)) return null;
				throw e;
			}
		},
		async head(key) {
			assertKey(key);
			await bucket();
			try {
				const stat = await client.statObject(opts.bucket, key);
				return { size: stat.size };
			} catch (e) {
				if (isNotFound(e)) return null;
				throw e;
			}
		},
		async delete(key) {
			assertKey(key);
			await bucket();
			await client.removeObject(opts.bucket, key);
		},
		async ping() {
			await bucket();
		}
	};
}
