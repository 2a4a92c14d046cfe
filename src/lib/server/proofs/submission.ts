import { createHash } from 'node:crypto';
import { and, inArray } from 'drizzle-orm';
import type { Db, Tx } from '#lib/server/db/client';
import { groupCommit, type GroupCommit } from '#lib/server/db/group-commit';
import { ApiError } from '#lib/server/http/errors';
import { sendManyInTx, TRACE_FIELD, type Queue } from '#lib/server/queue';
import { traceCarrier } from '#lib/server/telemetry/tracing';
import { tenantIsActive } from '#lib/server/tenancy';
import type { ObjectStore } from '#lib/server/storage';
import { newPublicId } from '#lib/server/records';
import { proofs, type ProofSource, type ProofStatus } from './schema';
import { recordTransitions, type Transition } from './transitions';

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
	if (bytes.length === 0) throw new ApiError('proof_not_der', 'The proof file is empty (0 bytes).');
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
 * Step 1 of a submission, outside any transaction (docs/architecture.md, "The life of a proof"
 * its life"): the object is stored first. A crash after this leaves an object
 * without a row, which the retried submission reuses (same key, same bytes).
 */
export async function storeProof(storage: ObjectStore, tenantId: string, bytes: Uint8Array): Promise<StoredProof> {
	const sha256 = sha256Hex(bytes);
	const key = proofObjectKey(tenantId, sha256);
	await storage.put(key, bytes, { contentType: 'application/pkcs7-mime' });
	return { tenantId, sha256, key, size: bytes.byteLength };
}

/** A consistent order (0 for equal keys, so the sort keeps the first of a repeated content first). */
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export type ProofMeta = { source: ProofSource; submitter: Submitter; filename?: string | null; agentId?: string | null };

/**
 * Step 2, in the caller's transaction: the proof row, its first timeline entry,
 * a live event and the `proofs.validated` job commit together. The same
 * content again for the tenant answers the existing proof (`duplicate`).
 */
export async function registerProof(tx: Tx, queue: Queue, stored: StoredProof, meta: ProofMeta): Promise<ProofAccepted> {
	const [accepted] = await registerProofs(tx, queue, [{ stored, meta }]);
	return accepted;
}

/** A stored proof to register; `trace` is the W3C trace context of the request that sent it when it is registered apart from that request's context (group commit). */
export type Registration = { stored: StoredProof; meta: ProofMeta; trace?: Record<string, string> };

/**
 * Step 2 for several stored proofs in one transaction (a bulk upload registers
 * its files in batches): one multi-row INSERT, one timeline INSERT,
 * one live event per tenant and one job INSERT, whatever the batch's size.
 * Answers in the order given; content already registered for the tenant, or
 * earlier in the same list, is a `duplicate` of that proof.
 */
export async function registerProofs(tx: Tx, queue: Queue, items: Registration[]): Promise<ProofAccepted[]> {
	if (!items.length) return [];
	const keyOf = (tenantId: string, sha256: string) => `${tenantId}/${sha256}`;
	const tenantIds = [...new Set(items.map((i) => i.stored.tenantId))];
	// A suspended tenant submits nothing; checked here so the API, bulk and the agent gateway agree.
	// The check and the insert go out together (postgres.js pipelines them on the transaction's connection:
	// one round trip); a suspended tenant's insert is rolled back with the transaction.
	const [active, created] = await Promise.all([
		Promise.all(tenantIds.map((id) => tenantIsActive(tx, id))),
		tx
			.insert(proofs)
			.values(
				// in key order: two batches sharing content then wait on each other's unique-index entries
				// in the same order, and cannot deadlock
				[...items].sort((a, b) => byKey(keyOf(a.stored.tenantId, a.stored.sha256), keyOf(b.stored.tenantId, b.stored.sha256))).map(({ stored, meta }) => ({
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
				}))
			)
			// the same content twice in one INSERT: DO NOTHING keeps the first (only DO UPDATE refuses that)
			.onConflictDoNothing({ target: [proofs.tenantId, proofs.contentSha256] })
			.returning({ id: proofs.id, publicId: proofs.publicId, status: proofs.status, tenantId: proofs.tenantId, sha256: proofs.contentSha256 })
	]);
	if (active.some((a) => !a)) throw new ApiError('tenant_suspended');
	const fresh = new Map(created.map((c) => [keyOf(c.tenantId, c.sha256), c]));
	const missing = items.filter((i) => !fresh.has(keyOf(i.stored.tenantId, i.stored.sha256)));
	const existing = new Map<string, { publicId: string; status: ProofStatus }>();
	if (missing.length) {
		const rows = await tx
			.select({ publicId: proofs.publicId, status: proofs.status, tenantId: proofs.tenantId, sha256: proofs.contentSha256 })
			.from(proofs)
			.where(and(inArray(proofs.tenantId, tenantIds), inArray(proofs.contentSha256, [...new Set(missing.map((i) => i.stored.sha256))])));
		for (const r of rows) existing.set(keyOf(r.tenantId, r.sha256), r);
	}
	const answered = new Set<string>();
	const transitions = new Map<string, Transition[]>();
	const traces = new Map<string, Record<string, string>>();
	const answers = items.map(({ stored, meta, trace }): ProofAccepted => {
		const key = keyOf(stored.tenantId, stored.sha256);
		const row = fresh.get(key);
		if (row && !answered.has(key)) {
			answered.add(key);
			if (trace && Object.keys(trace).length) traces.set(row.id, trace);
			const actor = `${meta.submitter.kind}:${meta.submitter.id}`;
			transitions.set(actor, [...(transitions.get(actor) ?? []), { proofId: row.id, publicId: row.publicId, tenantId: row.tenantId, from: null, to: 'RECEIVED' }]);
			return { publicId: row.publicId, status: row.status, duplicate: false };
		}
		const earlier = row ?? existing.get(key);
		// the row exists (unique index) unless it was deleted between the INSERT and the SELECT, which nothing does
		if (!earlier) throw new Error(`proof ${key} was neither inserted nor found`);
		return { publicId: earlier.publicId, status: earlier.status, duplicate: true };
	});
	// Independent statements of one transaction, pipelined (one round trip instead of several).
	await Promise.all([
		...[...transitions].map(([actor, list]) => recordTransitions(tx, actor, list)),
		sendManyInTx(
			queue,
			tx,
			'proofs.validated',
			// each job continues the trace of the request that sent its proof, not the batch's first one
			[...transitions.values()].flat().map((t) => {
				const trace = traces.get(t.proofId);
				return trace ? { proofId: t.proofId, [TRACE_FIELD]: trace } : { proofId: t.proofId };
			})
		)
	]);
	return answers;
}

/** Submissions committed together at most (one multi-row INSERT each), and such transactions at once per pool. */
const GROUP_MAX_BATCH = 100;
const GROUP_MAX_IN_FLIGHT = 3;

const groups = new WeakMap<Db, WeakMap<Queue, GroupCommit<Registration, ProofAccepted>>>();

/**
 * Step 2 by group commit (db/group-commit.ts): concurrent submissions on the
 * same pool are registered by `registerProofs` in one transaction, and each
 * caller's promise settles after that shared commit, so a 202 still means
 * "row and job committed". A batch that fails is run again one submission
 * per transaction, so each caller gets the answer it would have had alone.
 * Running one again after a COMMIT whose outcome was unknown doubles nothing:
 * the content is unique per tenant, so it answers the committed proof as a
 * `duplicate` and sends no second job.
 */
export function registerProofGrouped(db: Db, queue: Queue, stored: StoredProof, meta: ProofMeta): Promise<ProofAccepted> {
	let byQueue = groups.get(db);
	if (!byQueue) groups.set(db, (byQueue = new WeakMap()));
	let group = byQueue.get(queue);
	if (!group) {
		group = groupCommit<Registration, ProofAccepted>({
			run: (items) => db.transaction((tx) => registerProofs(tx, queue, items)),
			maxBatch: GROUP_MAX_BATCH,
			maxInFlight: GROUP_MAX_IN_FLIGHT
		});
		byQueue.set(queue, group);
	}
	// the batch runs in the context of whichever caller started it: each proof keeps its own request's trace
	return group({ stored, meta, trace: traceCarrier() });
}
