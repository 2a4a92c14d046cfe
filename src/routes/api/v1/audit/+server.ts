import { json } from '@sveltejs/kit';
import { listTenantAudit } from '#lib/server/audit';
import { requireActor, requireTenant } from '#lib/server/auth/guard';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { zListAuditEventsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** GET /api/v1/audit — the audit trail of the caller's tenant (audit:read); the tenant comes from the actor (issue 4 §3). */
export const GET: RequestHandler = async (event) => {
	const tenantId = requireTenant(requireActor(event, 'audit:read'));
	const { from, to, ...query } = parseQuery(event.url, zListAuditEventsQuery, ['limit']);
	const page = await listTenantAudit(platform().database.db, tenantId, {
		...query,
		from: from ? new Date(from) : undefined,
		to: to ? new Date(to) : undefined
	});
	return json(page);
};
