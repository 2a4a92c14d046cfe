import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import type { Agent as ApiAgent } from '#lib/api/types.gen';
import { recordAudit } from '#lib/server/audit';
import type { DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { AuditContext } from '#lib/server/tenancy';
import { decodeTimeKeyset, encodeTimeKeyset } from '#lib/server/http/cursor';
import { agentActivity, agents, type Agent, type AgentStatus } from './schema';

/** The API's agent (openapi Agent): the contract is the one definition of this shape. */
export type AgentView = ApiAgent;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function view(a: Agent, lastSeenAt: Date | null): AgentView {
	return {
		id: a.id,
		name: a.name,
		status: a.status,
		certificateSerial: a.certificateSerial,
		enrolledAt: a.enrolledAt.toISOString(),
		suspendedAt: iso(a.suspendedAt),
		revokedAt: iso(a.revokedAt),
		revocationReason: a.revocationReason,
		lastSeenAt: iso(lastSeenAt)
	};
}

/** Agents of a tenant, newest enrolment first (cursor: enrolledAt|id). */
export async function listAgents(db: DbOrTx, tenantId: string, q: { cursor?: string; limit?: number; status?: AgentStatus }) {
	const limit = q.limit ?? 50;
	const after = q.cursor ? decodeTimeKeyset(q.cursor) : null;
	const rows = await db
		.select({ agent: agents, lastSeenAt: agentActivity.lastSeenAt })
		.from(agents)
		.leftJoin(agentActivity, eq(agentActivity.agentId, agents.id))
		.where(
			and(
				eq(agents.tenantId, tenantId),
				q.status ? eq(agents.status, q.status) : undefined,
				after ? or(lt(agents.enrolledAt, after.at), and(eq(agents.enrolledAt, after.at), lt(agents.id, after.id))) : undefined
			)
		)
		.orderBy(desc(agents.enrolledAt), desc(agents.id))
		.limit(limit + 1);
	const items = rows.slice(0, limit).map((r) => view(r.agent, r.lastSeenAt));
	const last = rows[limit - 1];
	return { items, nextCursor: rows.length > limit ? encodeTimeKeyset(last.agent.enrolledAt, last.agent.id) : null };
}

/** One agent of the tenant, or 404 (another tenant's agent answers the same). */
export async function getAgent(db: DbOrTx, tenantId: string, id: string): Promise<AgentView> {
	const [row] = await db
		.select({ agent: agents, lastSeenAt: agentActivity.lastSeenAt })
		.from(agents)
		.leftJoin(agentActivity, eq(agentActivity.agentId, agents.id))
		.where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)));
	if (!row) throw new ApiError('not_found', 'No agent with this id in your tenant.');
	return view(row.agent, row.lastSeenAt);
}

/**
 * Suspends, reactivates or revokes an agent (audited). Revocation is final
 * and keeps its time: proofs received before it still validate ("not
 * revoked at receipt").
 */
export async function changeAgentStatus(tx: Tx, tenantId: string, id: string, change: { status: AgentStatus; reason?: string }, ctx: AuditContext): Promise<AgentView> {
	const [current] = await tx
		.select()
		.from(agents)
		.where(and(eq(agents.tenantId, tenantId), eq(agents.id, id)))
		.for('update');
	if (!current) throw new ApiError('not_found', 'No agent with this id in your tenant.');
	if (current.status === 'revoked') throw new ApiError('conflict', 'This agent is revoked; enrol a new one.');
	if (change.status === 'revoked' && !change.reason) {
		throw new ApiError('validation_failed', undefined, [{ field: 'reason', problem: 'a reason is required to revoke an agent' }]);
	}
	const set =
		change.status === 'active'
			? { status: 'active' as const, suspendedAt: null }
			: change.status === 'suspended'
				? { status: 'suspended' as const, suspendedAt: current.suspendedAt ?? sql`now()` }
				: { status: 'revoked' as const, revokedAt: sql`now()`, revocationReason: change.reason ?? null };
	const [updated] = await tx
		.update(agents)
		.set({ ...set, updatedAt: sql`now()` })
		.where(eq(agents.id, id))
		.returning();
	if (current.status !== change.status) {
		await recordAudit(tx, {
			actor: ctx.actor,
			tenantId,
			action: change.status === 'active' ? 'agent.reactivate' : change.status === 'suspended' ? 'agent.suspend' : 'agent.revoke',
			target: `agent:${id}`,
			result: 'success',
			correlationId: ctx.correlationId,
			sourceIp: ctx.sourceIp,
			details: change.reason ? { reason: change.reason } : undefined
		});
	}
	const [seen] = await tx.select().from(agentActivity).where(eq(agentActivity.agentId, id));
	return view(updated, seen?.lastSeenAt ?? null);
}

/**
 * The enrolled agent of `tenantId` whose certificate has this serial (proof
 * validation: the CMS signer), or null.
 */
export async function agentByCertificateSerial(db: DbOrTx, tenantId: string, serialHex: string): Promise<Agent | null> {
	const [row] = await db
		.select()
		.from(agents)
		.where(and(eq(agents.tenantId, tenantId), eq(agents.certificateSerial, serialHex.toLowerCase())));
	return row ?? null;
}

export async function agentById(db: DbOrTx, id: string): Promise<Agent | null> {
	const [row] = await db.select().from(agents).where(eq(agents.id, id));
	return row ?? null;
}
