import { operation } from '#lib/server/route';
import { setPlatformAdmin } from '#lib/server/tenancy';

/** PATCH /api/v1/admin/users/{id} — grant or withdraw platform admin (audited). */
export const PATCH = operation(
	'changePlatformUser',
	async ({ tx, params, body, audit }) => ({ status: 200, body: await setPlatformAdmin(tx, params.id, body.platformAdmin, audit) }),
	{ notFound: 'No person with this id.' }
);
