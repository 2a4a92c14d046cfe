import { createHash } from 'node:crypto';
import { json } from '@sveltejs/kit';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { idempotencyKeys } from './schema';

export type IdempotencyRequest = {
	/** whose key space: see `idempotencyScope` */
	scope: string;
	key: string;
	method: string;
	path: string;
	/** hex SHA-256 of what identifies the request; see `hashRequest` */
	requestHash: string;
};

/** What a mutation answers: stored as JSON text and replayed as it was first sent. */
export type IdempotentResult = { status: number; body: unknown };
export type IdempotentOutcome = IdempotentResult & { replayed: boolean };

/** IDEMPOTENCY_TTL and IDEMPOTENCY_WAIT_TIMEOUT, in seconds. */
export type IdempotencySettings = { ttlSeconds: number; waitSeconds: number };

export const idempotencySettings = (config: { IDEMPOTENCY_TTL: number; IDEMPOTENCY_WAIT_TIMEOUT: number }): IdempotencySettings => ({
	ttlSeconds: config.IDEMPOTENCY_TTL,
	waitSeconds: config.IDEMPOTENCY_WAIT_TIMEOUT
});

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** The spelling some clients (and older drafts' examples) send; read as the same header. */
export const IDEMPOTENCY_HEADER_ALIAS = 'x-idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

const KEY_FORMAT = /^[\x20-\x7E]{1,255}$/;

/**
 * The `Idempotency-Key` of a request, or null when it has none.
 * draft-ietf-httpapi-idempotency-key-header defines the value as a Structured
 * Field string (RFC 8941: `"…"`); plain tokens as Stripe and others send them
 * are accepted too. Printable ASCII, 1–255 characters; anything else is a 400.
 * `X-Idempotency-Key` is read as the same header; both with different values is a 400.
 */
export function readIdempotencyKey(request: Request): string | null {
	const main = request.headers.get(IDEMPOTENCY_HEADER);
	const alias = request.headers.get(IDEMPOTENCY_HEADER_ALIAS);
	if (main !== null && alias !== null && main.trim() !== alias.trim()) {
		throw new ApiError('bad_request', 'Idempotency-Key and X-Idempotency-Key differ; send one of them.', [
			{ field: 'Idempotency-Key', problem: 'differs from X-Idempotency-Key' }
		]);
	}
	const raw = main ?? alias;
	if (raw === null) return null;
	let key = raw.trim();
	if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1).replace(/\\(["\\])/g, '$1');
	if (!KEY_FORMAT.test(key) || key.trim() !== key) {
		throw new ApiError('bad_request', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', [
			{ field: 'Idempotency-Key', problem: 'must be 1–255 printable ASCII characters without surrounding spaces' }
		]);
	}
	return key;
}

/** The key space of a caller: a tenant's actor (user or service account), an agent, or the platform. */
export function idempotencyScope(who: { tenantId: string | null; kind: string; id: string }): string {
	return `${who.tenantId ?? 'platform'}/${who.kind}/${who.id}`;
}

/** Hex SHA-256 over the parts that identify a request (e.g. the body bytes, or a canonical JSON of the parsed body). */
export function hashRequest(...parts: (string | Uint8Array)[]): string {
	const hash = createHash('sha256');
	for (const part of parts) {
		const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
		// length-prefixed, so ('ab','c') and ('a','bc') differ
		hash.update(`${bytes.byteLength}:`).update(bytes);
	}
	return hash.digest('hex');
}

/**
 * Runs `handler` at most once per (scope, key) and stores its answer in the
 * SAME transaction as the change it makes, so the answer exists exactly when
 * the change does.
 *
 * - first call: a row for the key is inserted, the handler runs in that
 *   transaction, its status and body are stored; commit.
 * - same key, same method/path/requestHash, later: the stored answer,
 *   `replayed: true` (send `Idempotent-Replayed: true`).
 * - same key, different request: ApiError `idempotency_key_reused` (409).
 * - same key while the first is still running: the insert waits on the first
 *   transaction's uncommitted key (unique index). If it commits, this call
 *   replays its answer; if it rolls back, this call runs the handler. Waiting
 *   longer than IDEMPOTENCY_WAIT_TIMEOUT answers 409 `conflict` with
 *   Retry-After. The handler never runs twice for one key.
 * - the handler throws: everything rolls back, the key is free for a retry.
 * - a stored key past IDEMPOTENCY_TTL counts as unused.
 */
export async function withIdempotency(
	db: Db,
	req: IdempotencyRequest,
	handler: (tx: Tx) => Promise<IdempotentResult>,
	{ ttlSeconds, waitSeconds }: IdempotencySettings
): Promise<IdempotentOutcome> {
	try {
		return await db.transaction(async (tx) => {
			// lock_timeout bounds the wait on a concurrent first request; reset right after so the handler's own locks are unaffected
			const [{ previous }] = await tx.execute<{ previous: string }>(
				sql`select current_setting('lock_timeout') as previous, set_config('lock_timeout', ${`${waitSeconds * 1000}ms`}, true)`
			);
			const claimed = await tx
				.insert(idempotencyKeys)
				.values({ ...req, expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})` })
				.onConflictDoUpdate({
					target: [idempotencyKeys.scope, idempotencyKeys.key],
					// an expired key is taken over as if new; a live one is left alone (nothing returned)
					set: {
						method: req.method,
						path: req.path,
						requestHash: req.requestHash,
						status: null,
						body: null,
						createdAt: sql`now()`,
						expiresAt: sql`now() + make_interval(secs => ${ttlSeconds})`
					},
					setWhere: lt(idempotencyKeys.expiresAt, sql`now()`)
				})
				.returning({ scope: idempotencyKeys.scope });
			await tx.execute(sql`select set_config('lock_timeout', ${previous}, true)`);
			if (claimed.length === 0) return replay(tx, req);
			const result = await handler(tx);
			await tx
				.update(idempotencyKeys)
				.set({ status: result.status, body: result.body ?? null })
				.where(and(eq(idempotencyKeys.scope, req.scope), eq(idempotencyKeys.key, req.key)));
			return { ...result, replayed: false };
		});
	} catch (error) {
		if (isLockTimeout(error)) {
			throw new ApiError('conflict', 'A request with this Idempotency-Key is still being processed; retry later.', undefined, {
				'retry-after': '1'
			});
		}
		throw error;
	}
}

async function replay(tx: Tx, req: IdempotencyRequest): Promise<IdempotentOutcome> {
	const [stored] = await tx
		.select()
		.from(idempotencyKeys)
		.where(and(eq(idempotencyKeys.scope, req.scope), eq(idempotencyKeys.key, req.key)));
	if (!stored || stored.status === null) {
		// Cannot happen with the row written in one transaction; kept as a clear answer rather than a crash.
		throw new ApiError('conflict', 'A request with this Idempotency-Key is still being processed; retry later.', undefined, { 'retry-after': '1' });
	}
	if (stored.method !== req.method || stored.path !== req.path || stored.requestHash !== req.requestHash) {
		throw new ApiError('idempotency_key_reused');
	}
	return { status: stored.status, body: stored.body, replayed: true };
}

function isLockTimeout(error: unknown): boolean {
	for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
		if (typeof e === 'object' && (e as { code?: unknown }).code === '55P03') return true;
	}
	return false;
}

/** The HTTP answer for an outcome: JSON with its status, `Idempotent-Replayed: true` on a replay. */
export function idempotentResponse(outcome: IdempotentOutcome, headers: Record<string, string> = {}): Response {
	const h = new Headers(headers);
	if (outcome.replayed) h.set('Idempotent-Replayed', 'true');
	if (outcome.status === 204 || outcome.body === null || outcome.body === undefined) return new Response(null, { status: outcome.status, headers: h });
	return json(outcome.body, { status: outcome.status, headers: h });
}

/**
 * For route handlers: with an `Idempotency-Key` header, `withIdempotency`;
 * without one, the handler in a plain transaction (still atomic, just not
 * deduplicated). `requestHash` must cover everything that makes two requests
 * different apart from method and path: `hashRequest(bodyBytes)` for a body
 * read as bytes, or `hashRequest(canonicalJson(parsedBody))`.
 */
export async function runIdempotent(
	db: Db,
	event: { request: Request; url: URL },
	opts: { scope: string; requestHash: string; settings: IdempotencySettings },
	handler: (tx: Tx) => Promise<IdempotentResult>
): Promise<IdempotentOutcome> {
	const key = readIdempotencyKey(event.request);
	if (key === null) return { ...(await db.transaction(handler)), replayed: false };
	return withIdempotency(db, { scope: opts.scope, key, method: event.request.method, path: event.url.pathname, requestHash: opts.requestHash }, handler, opts.settings);
}

/** Maintenance: drops keys past their TTL. Returns how many went. */
export async function purgeIdempotencyKeys(db: DbOrTx, now: Date = new Date()): Promise<number> {
	const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).returning({ key: idempotencyKeys.key });
	return rows.length;
}
