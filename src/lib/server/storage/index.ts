import { join } from 'node:path';
import type { ResolvedConfig } from '#lib/server/config';
import { createFsStore } from './fs';
import { traceMethods } from '#lib/server/telemetry/instrument';
import type { ObjectStore } from './types';

export type { ObjectStore, StoredObject } from './types';

/** S3 when S3_ENDPOINT is set, else the filesystem store under DATA_DIR/objects. */
export async function createStore(config: ResolvedConfig): Promise<ObjectStore> {
	const store = await openStore(config);
	return traceMethods(store, 'storage', ['put', 'putStream', 'getBytes', 'getStream', 'head', 'delete'], { 'wipecert.storage': store.kind });
}

async function openStore(config: ResolvedConfig): Promise<ObjectStore> {
	if (config.S3_ENDPOINT) {
		const { createS3Store } = await import('./s3');
		return createS3Store({
			endpoint: config.S3_ENDPOINT,
			bucket: config.S3_BUCKET,
			region: config.S3_REGION,
			accessKey: config.S3_ACCESS_KEY!,
			secretKey: config.S3_SECRET_KEY!
		});
	}
	return createFsStore(join(config.dataDir, 'objects'));
}
