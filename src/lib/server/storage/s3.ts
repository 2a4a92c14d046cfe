import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { Client } from 'minio';
import { assertKey, type ObjectStore, type StoredObject } from './types';

type S3Options = { endpoint: string; bucket: string; region: string; accessKey: string; secretKey: string };

const isNotFound = (e: unknown) => {
	const code = (e as { code?: string }).code;
	return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
};

/** S3/MinIO store on the `minio` client; the bucket is created on first use. */
export function createS3Store(opts: S3Options): ObjectStore {
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
			const hash = createHash('sha256');
			let size = 0;
			const meter = new Transform({
				transform(chunk: Buffer, _enc, done) {
					hash.update(chunk);
					size += chunk.length;
					done(null, chunk);
				}
			});
			body.on('error', (e) => meter.destroy(e));
			await client.putObject(opts.bucket, key, body.pipe(meter), undefined, {
				'Content-Type': o.contentType ?? 'application/octet-stream'
			});
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
