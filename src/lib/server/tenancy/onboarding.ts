import { eq } from 'drizzle-orm';
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { AuditContext } from './audit-context';
import { inviteMember, type Member } from './members';
import { tenants, type MembershipRole } from './schema';
import { createTenant, getTenant, type TenantSummary } from './tenants';

/**
 * How a brand-new tenant gets its first admin: memberships
 * come from IdP groups or from invitations, and only a tenant admin of the
 * tenant may invite (POST /api/v1/members) — so a tenant created in the
 * console would have nobody who can. The platform admin invites through the
 * very same path (`inviteMember`: an invitation row that
 * `upsertUserFromClaims` turns into a membership at that person's first
 * sign-in with the verified address), audited as `member.invite` in the
 * tenant's trail with the platform admin as actor.
 */
type InviterContext = AuditContext & { userId: string | null };

/** Platform admin invites someone to any tenant; an unknown tenant is 404. */
export async function inviteToTenant(tx: Tx, tenantId: string, input: { email: string; role: MembershipRole }, ctx: InviterContext): Promise<Member> {
	// Locked so a concurrent suspension or invitation sees one order; also the 404 for an unknown id.
	const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
	if (!tenant) throw new ApiError('not_found', 'No tenant with this id.');
	return inviteMember(tx, tenantId, input, ctx);
}

/** Creates a tenant and, when given, invites its first tenant admin in the same transaction. */
export async function createTenantWithFirstAdmin(tx: Tx, input: { slug: string; name: string; firstAdminEmail?: string }, ctx: InviterContext): Promise<TenantSummary> {
	const tenant = await createTenant(tx, { slug: input.slug, name: input.name }, ctx);
	if (input.firstAdminEmail) await inviteMember(tx, tenant.id, { email: input.firstAdminEmail, role: 'tenant_admin' }, ctx);
	return (await getTenant(tx, tenant.id))!;
}
