import { eq } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { membershipsOf, type MembershipRole } from '#lib/server/tenancy';
import { sessions } from './schema';

type SwitchContext = { actor: { kind: string; id: string; role: string }; correlationId: string; sourceIp: string | null };

/**
 * Moves a person's session to another tenant they belong to, for the rest of
 * the session (the session row keeps it; the role there is read on every
 * request). Audited on the chosen tenant's chain only: writing the old
 * tenant's chain too would lock two chains in opposite orders when two
 * people switch in opposite directions. A tenant without a membership is 404,
 * like any tenant's object the caller may not see.
 */
export async function switchSessionTenant(tx: Tx, session: { id: string; userId: string; tenantId: string | null }, tenantId: string, ctx: SwitchContext): Promise<{ role: MembershipRole }> {
	const membership = (await membershipsOf(tx, session.userId)).find((m) => m.tenantId === tenantId);
	if (!membership) throw new ApiError('not_found', 'You are not a member of this tenant.');
	await tx.update(sessions).set({ tenantId }).where(eq(sessions.id, session.id));
	await recordAudit(tx, {
		actor: { ...ctx.actor, role: membership.role },
		tenantId,
		action: 'auth.switch_tenant',
		target: `tenant:${tenantId}`,
		result: 'success',
		correlationId: ctx.correlationId,
		sourceIp: ctx.sourceIp,
		details: { from: session.tenantId }
	});
	return { role: membership.role };
}
