import type { Readable } from 'node:stream';

export type StoredObject = { key: string; size: number; sha256: string };

/**
 * Object storage for proofs and certificates. Keys are relative paths of
 * `[a-z0-9._/-]` segments chosen by the caller (no user input in keys).
 */
export interface ObjectStore {
	readonly kind: 'fs' | 's3';
	/** Stores the bytes; overwriting a key with the same bytes is a no-op success. */
	put(key: string, body: Uint8Array, opts?: { contentType?: string }): Promise<StoredObject>;
	/** Streams an upload of unknown length (bulk ingestion) with bounded memory. */
	putStream(key: string, body: Readable, opts?: { contentType?: string }): Promise<StoredObject>;
	/** null when absent */
	getBytes(key: string): Promise<Uint8Array | null>;
	/** null when absent */
	getStream(key: string): Promise<Readable | null>;
	/** null when absent */
	head(key: string): Promise<{ size: number } | null>;
	delete(key: string): Promise<void>;
	/** Throws when the store cannot be used (for /readyz). */
	ping(): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export function assertKey(key: string): void {
	if (!KEY.test(key) || key.includes('..') || key.length > 512) throw new Error(`invalid object key: ${key}`);
}
