import type { Db } from '#lib/server/db/client';
import { readBodyLimited } from '#lib/server/http/body';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencySettings, readIdempotencyKey, runIdempotent, type IdempotencySettings, type IdempotentOutcome } from '#lib/server/idempotency';
import type { Queue } from '#lib/server/queue';
import type { ObjectStore } from '#lib/server/storage';
import type { ProofSource } from './schema';
import { checkDer, checkProofContentType, registerProof, registerProofGrouped, storeProof, type StoredProof, type Submitter } from './submission';

export type SubmitContext = { db: Db; queue: Queue; storage: ObjectStore; idempotency: IdempotencySettings };

/** What a submission runs on: the app role's pool for the REST API, the ingest role's on the agent gateway. */
export const submitContext = (
	app: { queue: Queue; storage: ObjectStore; config: { IDEMPOTENCY_TTL: number; IDEMPOTENCY_WAIT_TIMEOUT: number } },
	db: Db
): SubmitContext => ({ db, queue: app.queue, storage: app.storage, idempotency: idempotencySettings(app.config) });

export type SubmittedBy = {
	tenantId: string;
	submitter: Submitter;
	/** the agent of a /ingest/v1 submission */
	agentId?: string | null;
	source: ProofSource;
	/** Idempotency-Key space of the caller (`idempotencyScope`) */
	scope: string;
};

/** A proof file's bytes from a request: its content type checked first (415), then at most `maxBytes` read (413). */
export async function readProofBody(request: Request, maxBytes: number): Promise<Uint8Array> {
	checkProofContentType(request.headers.get('content-type'));
	return readBodyLimited(request, maxBytes);
}

/** Stores a proof object; storage trouble is a 503 the client can retry, not a 500. */
export async function storeOrUnavailable(storage: ObjectStore, tenantId: string, bytes: Uint8Array): Promise<StoredProof> {
	try {
		return await storeProof(storage, tenantId, bytes);
	} catch (error) {
		throw new ApiError('service_unavailable', 'Proof storage is unavailable; retry later.', undefined, { 'retry-after': '5' });
	}
}

/**
 * One proof, from `POST /api/v1/proofs` or `POST /ingest/v1/proofs`: content type (415), DER shape (415 `proof_not_der`), object stored
 * first, then row + job in one transaction; `Idempotency-Key` replays the
 * first answer (same key, other body: 409). Answers 202 `{ publicId, status,
 * duplicate }`.
 *
 * Without an Idempotency-Key the row and job are committed by group commit
 * with the other submissions of the moment (`registerProofGrouped`); with
 * one, the key's row must commit in the same transaction as the proof and
 * wait alone on a concurrent first request, so that submission keeps a
 * transaction of its own.
 */
export async function submitProof(ctx: SubmitContext, http: { request: Request; url: URL }, by: SubmittedBy, body: Uint8Array, filename?: string | null): Promise<IdempotentOutcome> {
	checkProofContentType(http.request.headers.get('content-type'));
	checkDer(body);
	const meta = { source: by.source, submitter: by.submitter, filename, agentId: by.agentId };
	const key = readIdempotencyKey(http.request);
	const stored = await storeOrUnavailable(ctx.storage, by.tenantId, body);
	if (key === null) return { status: 202, body: await registerProofGrouped(ctx.db, ctx.queue, stored, meta), replayed: false };
	return runIdempotent(ctx.db, http, { scope: by.scope, requestHash: hashRequest(body), settings: ctx.idempotency }, async (tx) => ({
		status: 202,
		body: await registerProof(tx, ctx.queue, stored, meta)
	}));
}
