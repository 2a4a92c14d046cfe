import { and, asc, eq, ne, or, sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Db, DbOrTx, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { enqueueNotification, memberInvited } from '#lib/server/notifications';
import type { AuditContext } from './audit-context';
import { decodeKeyset, encodeKeyset } from '#lib/server/http/cursor';
import { memberships, tenants, users, type MembershipRole } from './schema';
import { defaultOrganisation } from './tenants';

export type Member = {
	id: string;
	email: string | null;
	displayName: string | null;
	role: MembershipRole;
	status: 'active' | 'invited';
	managedBy: 'identity_provider' | 'app';
	createdAt: Date;
};

const memberColumns = {
	id: memberships.id,
	email: sql<string | null>`coalesce(${users.email}, ${memberships.email})`,
	displayName: users.displayName,
	role: memberships.role,
	userId: memberships.userId,
	source: memberships.source,
	createdAt: memberships.createdAt
};

type MemberRow = { id: string; email: string | null; displayName: string | null; role: MembershipRole; userId: string | null; source: 'claim' | 'invite'; createdAt: Date };

const toMember = (r: MemberRow): Member => ({
	id: r.id,
	email: r.email,
	displayName: r.displayName,
	role: r.role,
	status: r.userId ? 'active' : 'invited',
	managedBy: r.source === 'claim' ? 'identity_provider' : 'app',
	createdAt: r.createdAt
});

/** Members of the caller's tenant, oldest first, cursor-paginated. */
export async function listMembers(db: Db, tenantId: string, page: { cursor?: string; limit: number }): Promise<{ items: Member[]; nextCursor: string | null }> {
	// The cursor keeps PostgreSQL's microseconds (a JS Date would round them and repeat rows).
	let after: { at: string; id: string } | null = null;
	if (page.cursor) {
		const { key: at, id } = decodeKeyset(page.cursor);
		if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/.test(at)) {
			throw new ApiError('bad_request', 'The cursor is not one this list handed out.', [{ field: 'cursor', problem: 'invalid' }]);
		}
		after = { at, id };
	}
	const rows = await db
		.select({ ...memberColumns, cursorAt: sql<string>`(${memberships.createdAt} at time zone 'UTC')::text || '+00'` })
		.from(memberships)
		.leftJoin(users, eq(users.id, memberships.userId))
		.where(
			and(
				eq(memberships.tenantId, tenantId),
				after ? sql`(${memberships.createdAt}, ${memberships.id}) > (${after.at}::timestamptz, ${after.id}::uuid)` : undefined
			)
		)
		.orderBy(asc(memberships.createdAt), asc(memberships.id))
		.limit(page.limit + 1);
	const items = rows.slice(0, page.limit).map(toMember);
	const last = rows[page.limit - 1];
	return { items, nextCursor: rows.length > page.limit ? encodeKeyset(last.cursorAt, last.id) : null };
}

async function findMember(tx: DbOrTx, tenantId: string, id: string): Promise<MemberRow> {
	// Scoped by the caller's tenant: another tenant's membership is "not found".
	const [row] = await tx
		.select(memberColumns)
		.from(memberships)
		.leftJoin(users, eq(users.id, memberships.userId))
		.where(and(eq(memberships.tenantId, tenantId), eq(memberships.id, id)));
	if (!row) throw new ApiError('not_found', 'No member with this id in your tenant.');
	return row;
}

/**
 * Invites someone by e-mail (tenant admin), in the caller's transaction with
 * its audit row. They join when they first sign in with that verified
 * address; an existing person joins at once.
 */
export async function inviteMember(tx: Tx, tenantId: string, input: { email: string; role: MembershipRole }, ctx: AuditContext & { userId: string | null }): Promise<Member> {
	const email = input.email.trim().toLowerCase();
	const [existingUser] = await tx
		.select({ id: users.id })
		.from(users)
		.where(and(eq(sql`lower(${users.email})`, email), eq(users.emailVerified, true)))
		.limit(1);
	const [clash] = await tx
		.select({ id: memberships.id })
		.from(memberships)
		.leftJoin(users, eq(users.id, memberships.userId))
		.where(and(eq(memberships.tenantId, tenantId), or(eq(memberships.email, email), eq(sql`lower(${users.email})`, email), existingUser ? eq(memberships.userId, existingUser.id) : sql`false`)));
	if (clash) throw new ApiError('conflict', 'This address is already a member or invited.', [{ field: 'email', problem: 'already a member' }]);
	const [row] = await tx
		.insert(memberships)
		.values({
			tenantId,
			organisationId: await defaultOrganisation(tx, tenantId),
			userId: existingUser?.id ?? null,
			email,
			role: input.role,
			source: 'invite',
			invitedBy: ctx.userId
		})
		.returning({ id: memberships.id });
	await recordAudit(tx, { actor: ctx.actor, correlationId: ctx.correlationId, sourceIp: ctx.sourceIp, tenantId, action: 'member.invite', target: `membership:${row.id}`, result: 'success', details: { role: input.role } });
	await enqueueNotification(tx, memberInvited(tenantId, { id: row.id, email, role: input.role }));
	return toMember(await findMember(tx, tenantId, row.id));
}

/**
 * A tenant keeps at least one tenant admin, or nobody could manage it. The
 * tenant row is locked first, so two admins demoting each other at the same
 * moment cannot both pass the check (write skew).
 */
async function assertAdminRemains(tx: Tx, tenantId: string, changing: string): Promise<void> {
	await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
	const [other] = await tx
		.select({ id: memberships.id })
		.from(memberships)
		.where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'tenant_admin'), ne(memberships.id, changing), sql`${memberships.userId} is not null`))
		.limit(1);
	if (!other) throw new ApiError('conflict', 'A tenant needs at least one active tenant admin.');
}

function assertAppManaged(row: MemberRow): void {
	if (row.source === 'claim') {
		throw new ApiError('conflict', 'This membership comes from your identity provider’s groups; change it there.');
	}
}

/** Changes an app-managed member's role, in the caller's transaction with its audit row. */
export async function changeMemberRole(tx: Tx, tenantId: string, id: string, role: MembershipRole, ctx: AuditContext): Promise<Member> {
	const row = await findMember(tx, tenantId, id);
	assertAppManaged(row);
	if (row.role === role) return toMember(row);
	if (row.role === 'tenant_admin') await assertAdminRemains(tx, tenantId, id);
	await tx.update(memberships).set({ role, updatedAt: new Date() }).where(and(eq(memberships.tenantId, tenantId), eq(memberships.id, id)));
	await recordAudit(tx, { ...ctx, tenantId, action: 'member.role_change', target: `membership:${id}`, result: 'success', details: { from: row.role, to: role } });
	return toMember({ ...row, role });
}

/** Removes an app-managed member (or withdraws an invitation), in the caller's transaction with its audit row. */
export async function removeMember(tx: Tx, tenantId: string, id: string, ctx: AuditContext): Promise<void> {
	const row = await findMember(tx, tenantId, id);
	assertAppManaged(row);
	if (row.role === 'tenant_admin') await assertAdminRemains(tx, tenantId, id);
	await tx.delete(memberships).where(and(eq(memberships.tenantId, tenantId), eq(memberships.id, id)));
	await recordAudit(tx, { ...ctx, tenantId, action: 'member.remove', target: `membership:${id}`, result: 'success', details: { role: row.role } });
}
