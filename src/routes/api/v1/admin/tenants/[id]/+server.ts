import { ApiError } from '#lib/server/http/errors';
import { operation } from '#lib/server/route';
import { getTenant } from '#lib/server/tenancy';

const NOT_FOUND = 'No tenant has this id.';

/** GET /api/v1/admin/tenants/{id} */
export const GET = operation(
	'getTenant',
	async ({ app, params }) => {
		const tenant = await getTenant(app.database.db, params.id);
		if (!tenant) throw new ApiError('not_found', NOT_FOUND);
		return tenant;
	},
	{ notFound: NOT_FOUND }
);
