import { disableServiceAccount } from '#lib/server/auth';
import { operation } from '#lib/server/route';

/** DELETE /api/v1/admin/service-accounts/{id} — disable (audited). */
export const DELETE = operation(
	'disableServiceAccount',
	async ({ tx, params, audit }) => {
		await disableServiceAccount(tx, params.id, audit);
		return { status: 204, body: null };
	},
	{ notFound: 'No service account has this id.' }
);
