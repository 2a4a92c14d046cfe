import { isIP } from 'node:net';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '#lib/server/db/client';
import { storableJson, storableString } from './storable';
import { chainOf, GENESIS_HASH, rowHash } from './chain';
import { auditChainHeads, auditEvents } from './schema';

const text = (max: number) => z.string().min(1).max(max).transform(storableString);

/** What a caller hands to `recordAudit` (the interface fixed in the team conventions). */
export const auditEntry = z.object({
	actor: z.object({ kind: text(32), id: text(200), role: text(64) }).nullable(),
	tenantId: z.uuid().nullable(),
	action: text(100),
	target: text(500),
	result: z.enum(['success', 'failure']),
	correlationId: text(200),
	sourceIp: z.string().max(100).nullable(),
	details: z.record(z.string(), z.unknown()).optional()
});
export type AuditEntry = z.input<typeof auditEntry>;

/**
 * Appends one row to the audit chain of `e.tenantId` (or the platform chain)
 * inside the caller's transaction: the row commits or rolls back with the
 * change it describes.
 *
 * Serialisation: the UPSERT on the chain's head row takes its row lock and
 * holds it until the caller's transaction ends, so a concurrent writer of the
 * same chain waits and then reads the new head (ON CONFLICT DO UPDATE sees the
 * latest committed version): the chain cannot fork. Writers of other chains are
 * not blocked. Call it late in the transaction to hold the lock briefly, and
 * never write to two chains in opposite orders in two transactions.
 */
export async function recordAudit(tx: Tx, e: AuditEntry): Promise<void> {
	const entry = auditEntry.parse(e);
	const chain = chainOf(entry.tenantId);
	const [head] = await tx
		.insert(auditChainHeads)
		.values({ chain, seq: 0, hash: GENESIS_HASH })
		.onConflictDoUpdate({ target: auditChainHeads.chain, set: { chain: sql`excluded.chain` } })
		.returning({ seq: auditChainHeads.seq, hash: auditChainHeads.hash });
	const sourceIp = entry.sourceIp === null ? null : isIP(entry.sourceIp) ? entry.sourceIp.toLowerCase() : storableString(entry.sourceIp);
	const row = {
		chain,
		seq: Number(head.seq) + 1,
		tenantId: entry.tenantId,
		actorKind: entry.actor?.kind ?? null,
		actorId: entry.actor?.id ?? null,
		actorRole: entry.actor?.role ?? null,
		action: entry.action,
		target: entry.target,
		result: entry.result,
		correlationId: entry.correlationId,
		sourceIp,
		details: storableJson(entry.details ?? {}) as Record<string, unknown>,
		// millisecond precision: what a JS Date and the column (precision 3) both hold, so the hash survives the round trip
		createdAt: new Date()
	};
	const hash = rowHash(head.hash, row);
	await tx.execute(sql`
		with appended as (
			insert into ${auditEvents} (chain, seq, tenant_id, actor_kind, actor_id, actor_role, action, target, result, correlation_id, source_ip, details, created_at, prev_hash, hash)
			values (${row.chain}, ${row.seq}, ${row.tenantId}, ${row.actorKind}, ${row.actorId}, ${row.actorRole}, ${row.action}, ${row.target}, ${row.result},
				${row.correlationId}, ${row.sourceIp}, ${JSON.stringify(row.details)}::jsonb, ${row.createdAt.toISOString()}::timestamptz, ${head.hash}, ${hash})
			returning seq, hash
		)
		update ${auditChainHeads} set seq = appended.seq, hash = appended.hash, updated_at = now()
		from appended where ${auditChainHeads.chain} = ${chain}`);
}
