import { operation } from '#lib/server/route';
import { changeMemberRole, removeMember } from '#lib/server/tenancy';

/** A malformed id cannot name a member of the caller's tenant: 404, like another tenant's. */
const NOT_FOUND = 'No member with this id in your tenant.';

/** PATCH /api/v1/members/{id} — change an app-managed member's role (audited). */
export const PATCH = operation(
	'changeMemberRole',
	async ({ tx, tenantId, params, body, audit }) => ({ status: 200, body: await changeMemberRole(tx, tenantId, params.id, body.role, audit) }),
	{ notFound: NOT_FOUND }
);

/** DELETE /api/v1/members/{id} — remove a member or withdraw an invitation (audited). */
export const DELETE = operation(
	'removeMember',
	async ({ tx, tenantId, params, audit }) => {
		await removeMember(tx, tenantId, params.id, audit);
		return { status: 204, body: null };
	},
	{ notFound: NOT_FOUND }
);
