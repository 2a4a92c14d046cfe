import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { licenceTotals } from '#lib/server/licences';
import { platform } from '#lib/server/platform';
import type { RequestHandler } from './$types';

/** GET /api/v1/licences — the caller's tenant's balance, computed from the ledger (licences:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'licences:read'));
	return json(await licenceTotals(platform().database.db, tenantId));
};
