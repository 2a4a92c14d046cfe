import { inArray, lt, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { groupCommit, type GroupCommit } from '#lib/server/db/group-commit';
import { ApiError } from '#lib/server/http/errors';
import { publicKeyFromSpki, verifyRequest } from './http-signature';
import { agentById } from './manage';
import { agentActivity, agentRequestNonces, agents, type Agent } from './schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Authenticates a signed `/ingest/v1` request (RFC 9421, see
 * http-signature.ts) and returns the agent. The nonce is stored in
 * `agent_request_nonces` (primary key: a second use is a replay). A suspended
 * agent is 403 `agent_suspended`; a revoked one 401 `agent_revoked`.
 *
 * `targetUris`: ORIGIN + path (what agents are told to use) and the URL the
 * request reached; the signature must cover one of them.
 */
export async function authenticateAgent(
	db: DbOrTx,
	request: { method: string; headers: Headers; url: URL },
	body: Uint8Array,
	opts: { origin: string; windowSeconds: number }
): Promise<Agent> {
	let agent: Agent | null = null;
	const pathAndQuery = request.url.pathname + request.url.search;
	await verifyRequest({
		method: request.method,
		targetUris: [...new Set([opts.origin + pathAndQuery, request.url.href])],
		headers: request.headers,
		body,
		windowSeconds: opts.windowSeconds,
		findKey: async (keyId) => {
			if (!UUID.test(keyId)) return null;
			agent = await findAgent(db, keyId.toLowerCase());
			return agent ? { publicKey: publicKeyFromSpki(agent.publicKeySpki) } : null;
		},
		rememberNonce: (keyId, nonce) => rememberNonce(db, { agentId: keyId.toLowerCase(), nonce })
	});
	const found = agent as Agent | null;
	if (!found) throw new ApiError('agent_signature_invalid');
	if (found.status === 'revoked') throw new ApiError('agent_revoked');
	if (found.status === 'suspended') throw new ApiError('agent_suspended');
	await noteSeen(db, found.id);
	return found;
}

/** Agents looked up together at most, and such statements at once per pool. */
const AGENT_MAX_BATCH = 200;
const AGENT_MAX_IN_FLIGHT = 2;
const agentGroups = new WeakMap<Db, GroupCommit<string, Agent | null>>();

/**
 * The agent a request's keyid names, read when the request is checked: the
 * lookups of concurrent requests go in one SELECT (db/group-commit.ts), a
 * round trip per batch instead of per request. Each lookup is made after its
 * request arrived, so a suspension or revocation committed before that is
 * seen exactly as with a SELECT of its own.
 */
function findAgent(db: DbOrTx, id: string): Promise<Agent | null> {
	if (db instanceof PgTransaction) return agentById(db, id);
	let group = agentGroups.get(db);
	if (!group) {
		group = groupCommit({
			run: async (ids: string[]) => {
				const rows = await db.select().from(agents).where(inArray(agents.id, [...new Set(ids)]));
				const byId = new Map(rows.map((r) => [r.id, r]));
				return ids.map((i) => byId.get(i) ?? null);
			},
			maxBatch: AGENT_MAX_BATCH,
			maxInFlight: AGENT_MAX_IN_FLIGHT
		});
		agentGroups.set(db, group);
	}
	return group(id);
}

type NonceUse = { agentId: string; nonce: string };

/**
 * Stores nonces; true for each one not stored before. The first use of a
 * (agent, nonce) pair in `uses` wins and a later one in the same list is a
 * replay, as it would be had it come a moment later: ON CONFLICT DO NOTHING
 * skips a row that conflicts with one the same statement inserted, and
 * RETURNING names the pair once.
 */
async function storeNonces(db: DbOrTx, uses: NonceUse[]): Promise<boolean[]> {
	const rows = await db.insert(agentRequestNonces).values(uses).onConflictDoNothing().returning({ agentId: agentRequestNonces.agentId, nonce: agentRequestNonces.nonce });
	const fresh = new Set(rows.map((r) => `${r.agentId}/${r.nonce}`));
	return uses.map((u) => fresh.delete(`${u.agentId}/${u.nonce}`));
}

/** Nonces stored together at most, and such statements at once per pool. */
const NONCE_MAX_BATCH = 200;
const NONCE_MAX_IN_FLIGHT = 2;
const nonceGroups = new WeakMap<Db, GroupCommit<NonceUse, boolean>>();

/**
 * A request's nonce, by group commit (db/group-commit.ts): the nonces of
 * concurrent requests go in one multi-row INSERT, one autocommit for all
 * instead of a transaction (an xid and a WAL flush) each. Each request still
 * learns whether its own nonce was new only after that insert committed, so
 * a replay is refused exactly as before (RFC 9421 §7.2.2). Inside a caller's
 * transaction the nonce is stored in it, alone.
 */
function rememberNonce(db: DbOrTx, use: NonceUse): Promise<boolean> {
	if (db instanceof PgTransaction) return storeNonces(db, [use]).then(([fresh]) => fresh);
	let group = nonceGroups.get(db);
	if (!group) {
		group = groupCommit({ run: (uses) => storeNonces(db, uses), maxBatch: NONCE_MAX_BATCH, maxInFlight: NONCE_MAX_IN_FLIGHT });
		nonceGroups.set(db, group);
	}
	return group(use);
}

const SEEN_EVERY_MS = 30_000;
/** When this process last wrote an agent's last-seen row (agent id → ms). */
const seenWritten = new Map<string, number>();

/**
 * Last seen, written at most every 30 s per agent and process. The process
 * remembers when it last wrote, so a busy agent costs no statement at all
 * between writes: the upsert alone took the agent's row lock in a transaction
 * of its own (an xid and a WAL flush) on every request, and every request of
 * one agent queued on that lock (ingest profile). The WHERE keeps
 * several processes to one write per 30 s as well.
 */
async function noteSeen(db: DbOrTx, agentId: string): Promise<void> {
	const now = Date.now();
	if (now - (seenWritten.get(agentId) ?? 0) < SEEN_EVERY_MS) return;
	seenWritten.set(agentId, now);
	if (seenWritten.size > 10_000) for (const [id, at] of seenWritten) if (now - at >= SEEN_EVERY_MS) seenWritten.delete(id);
	try {
		await db
			.insert(agentActivity)
			.values({ agentId, lastSeenAt: sql`now()` })
			.onConflictDoUpdate({
				target: agentActivity.agentId,
				set: { lastSeenAt: sql`now()` },
				setWhere: lt(agentActivity.lastSeenAt, sql`now() - interval '30 seconds'`)
			});
	} catch (error) {
		seenWritten.delete(agentId); // the next request tries again
		throw error;
	}
}

/** Retry sweep: nonces older than the signature window can no longer be replayed (their `created` is refused). */
export async function purgeRequestNonces(db: DbOrTx, windowSeconds: number): Promise<number> {
	const rows = await db
		.delete(agentRequestNonces)
		.where(lt(agentRequestNonces.createdAt, sql`now() - make_interval(secs => ${windowSeconds * 2})`))
		.returning({ nonce: agentRequestNonces.nonce });
	return rows.length;
}
