import { json } from '@sveltejs/kit';
import { requireActor, requireTenant } from '#lib/server/auth';
import { parseQuery } from '#lib/server/http/query';
import { listLedger } from '#lib/server/licences';
import { platform } from '#lib/server/platform';
import { zListLicenceLedgerQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/licences/ledger — the caller's tenant's ledger, newest first (licences:read). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'licences:read'));
	const query = parseQuery(event.url, zListLicenceLedgerQuery, ['limit']);
	return json(await listLedger(platform().database.db, tenantId, query));
};
