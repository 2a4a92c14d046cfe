import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { sendInTx, type Queue } from '#lib/server/queue';
import { tenantIsActive } from '#lib/server/tenancy';
import type { ObjectStore } from '#lib/server/storage';
import { newPublicId } from './ids';
import { proofs, type ProofSource, type ProofStatus } from './schema';
import { recordTransitions } from './transitions';

/** Content types a proof may be sent as (RFC 8551 §3.2.2 for CMS; or plain bytes). */
export const PROOF_CONTENT_TYPES = ['application/pkcs7-mime', 'application/octet-stream'] as const;

/** 415 `unsupported_media_type` unless the Content-Type is one of PROOF_CONTENT_TYPES (parameters allowed). */
export function checkProofContentType(contentType: string | null): void {
	const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
	if (!(PROOF_CONTENT_TYPES as readonly string[]).includes(type)) {
		throw new ApiError('unsupported_media_type', `Send the proof as ${PROOF_CONTENT_TYPES.join(' or ')}.`);
	}
}

/**
 * 415 `proof_not_der` unless the bytes are one DER SEQUENCE (X.690 §8.9,
 * §10.1: definite length) that spans the whole body. A cheap structural check
 * at the door; the worker parses the CMS itself.
 */
export function checkDer(bytes: Uint8Array): void {
	const fail = (why: string) => new ApiError('proof_not_der', `The body is not a DER-encoded proof: ${why}.`);
	if (bytes.length < 2 || bytes[0] !== 0x30) throw fail('it does not start with a DER SEQUENCE');
	const first = bytes[1];
	let length: number;
	let header: number;
	if (first < 0x80) {
		length = first;
		header = 2;
	} else if (first === 0x80) {
		throw fail('it uses an indefinite length (BER), which DER forbids');
	} else {
		const n = first & 0x7f;
		if (n > 4 || bytes.length < 2 + n) throw fail('its length field is malformed');
		length = 0;
		for (let i = 0; i < n; i++) length = length * 256 + bytes[2 + i];
		header = 2 + n;
	}
	if (header + length !== bytes.length) throw fail(`the SEQUENCE is ${header + length} bytes long but the body has ${bytes.length}`);
}

export const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Object key of a proof: by tenant and content hash, so storing the same bytes twice is one object. */
export const proofObjectKey = (tenantId: string, sha256: string) => `proofs/${tenantId}/${sha256.slice(0, 2)}/${sha256}.der`;

export type Submitter = { kind: 'agent' | 'user' | 'service'; id: string };

export type ProofAccepted = { publicId: string; status: ProofStatus; duplicate: boolean };

export type StoredProof = { tenantId: string; sha256: string; key: string; size: number };

/**
 * Step 1 of a submission, outside any transaction (ARCHITECTURE "The proof and
 * its life"): the object is stored first. A crash after this leaves an object
 * without a row, which the retried submission reuses (same key, same bytes).
 */
export async function storeProof(storage: ObjectStore, tenantId: string, bytes: Uint8Array): Promise<StoredProof> {
	const sha256 = sha256Hex(bytes);
	const key = proofObjectKey(tenantId, sha256);
	await storage.put(key, bytes, { contentType: 'application/pkcs7-mime' });
	return { tenantId, sha256, key, size: bytes.byteLength };
}

/**
 * Step 2, in the caller's transaction: the proof row, its first timeline entry,
 * a live event and the `proofs.validated` job commit together. The same
 * content again for the tenant answers the existing proof (`duplicate`).
 */
export async function registerProof(
	tx: Tx,
	queue: Queue,
	stored: StoredProof,
	meta: { source: ProofSource; submitter: Submitter; filename?: string | null; agentId?: string | null }
): Promise<ProofAccepted> {
	// A suspended tenant submits nothing (issue 7 §4); checked here so the API, bulk and the agent gateway agree.
	// The check and the insert go out together (postgres.js pipelines them on the transaction's connection:
	// one round trip, issue 8); a suspended tenant's insert is rolled back with the transaction.
	const [active, [created]] = await Promise.all([
		tenantIsActive(tx, stored.tenantId),
		tx
			.insert(proofs)
			.values({
				publicId: newPublicId('proof'),
				tenantId: stored.tenantId,
				agentId: meta.agentId ?? null,
				source: meta.source,
				submitterKind: meta.submitter.kind,
				submitterId: meta.submitter.id,
				filename: meta.filename ? meta.filename.slice(0, 255) : null,
				sizeBytes: stored.size,
				contentSha256: stored.sha256,
				objectKey: stored.key
			})
			.onConflictDoNothing({ target: [proofs.tenantId, proofs.contentSha256] })
			.returning({ id: proofs.id, publicId: proofs.publicId, status: proofs.status })
	]);
	if (!active) throw new ApiError('tenant_suspended');
	if (!created) {
		const [existing] = await tx
			.select({ publicId: proofs.publicId, status: proofs.status })
			.from(proofs)
			.where(and(eq(proofs.tenantId, stored.tenantId), eq(proofs.contentSha256, stored.sha256)));
		return { publicId: existing.publicId, status: existing.status, duplicate: true };
	}
	// Independent statements of one transaction, pipelined (one round trip instead of three).
	await Promise.all([
		recordTransitions(tx, `${meta.submitter.kind}:${meta.submitter.id}`, [
			{ proofId: created.id, publicId: created.publicId, tenantId: stored.tenantId, from: null, to: 'RECEIVED' }
		]),
		sendInTx(queue, tx, 'proofs.validated', { proofId: created.id })
	]);
	return { publicId: created.publicId, status: created.status, duplicate: false };
}
