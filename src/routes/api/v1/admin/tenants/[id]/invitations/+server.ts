import { operation } from '#lib/server/route';
import { inviteToTenant } from '#lib/server/tenancy';

/**
 * POST /api/v1/admin/tenants/{id}/invitations — a platform admin invites
 * someone (a new tenant's first tenant admin) to a tenant (audited). Same
 * invitation as POST /api/v1/members.
 */
export const POST = operation(
	'inviteTenantMember',
	async ({ tx, params, body, audit, actor }) => ({
		status: 201,
		body: await inviteToTenant(tx, params.id, body, { ...audit, userId: actor.kind === 'user' ? actor.id : null })
	}),
	{ notFound: 'No tenant with this id.' }
);
