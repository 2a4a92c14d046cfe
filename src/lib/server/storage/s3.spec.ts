import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectStoreContract } from './contract';
import { createS3Store } from './s3';

/** A real S3-protocol server (s3rver) on a free loopback port, started by this file. */
const dir = mkdtempSync(join(tmpdir(), 'wipecert-s3rver-'));
let server: S3rver;
let endpoint = '';
// s3rver's built-in account (see its README). s3rver does not verify signatures, so credential
// errors cannot be tested against it.
const credentials = { accessKey: 'S3RVER', secretKey: 'S3RVER' };

beforeAll(async () => {
	server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
	const address = await server.run();
	endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
	await server?.close();
	rmSync(dir, { recursive: true, force: true });
});

const bucket = `wipecert-${process.pid}`;
objectStoreContract('S3 (s3rver)', () => createS3Store({ endpoint, bucket, region: 'us-east-1', ...credentials }));

describe('S3 store specifics', () => {
	it('creates its bucket on first use', async () => {
		const store = createS3Store({ endpoint, bucket: 'fresh-bucket', region: 'us-east-1', ...credentials });
		await store.put('a/b', new Uint8Array([7]));
		expect(Array.from((await store.getBytes('a/b'))!)).toEqual([7]);
	});

	it('ping fails when the server is unreachable', async () => {
		const store = createS3Store({ endpoint: 'http://127.0.0.1:9', bucket, region: 'us-east-1', ...credentials });
		await expect(store.ping()).rejects.toThrow();
	});
});
