import { json } from '@sveltejs/kit';
import { listAudit, PLATFORM_CHAIN, verifyAuditChain } from '#lib/server/audit';
import { requireActor } from '#lib/server/auth/guard';
import { parseQuery } from '#lib/server/http/query';
import { platform } from '#lib/server/platform';
import { zListAdminAuditEventsQuery } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/**
 * GET /api/v1/admin/audit — audit rows across the platform (admin:audit), with
 * the verification of the chains they come from: the filtered tenant's (or the
 * platform chain), else every chain.
 */
export const GET: RequestHandler = async (event) => {
	requireActor(event, 'admin:audit');
	const { tenantId, verify, from, to, ...query } = parseQuery(event.url, zListAdminAuditEventsQuery, ['limit']);
	const db = platform().database.db;
	const scope = tenantId === undefined ? undefined : tenantId === PLATFORM_CHAIN ? null : tenantId.toLowerCase();
	const [page, verification] = await Promise.all([
		listAudit(db, { ...query, tenantId: scope, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }),
		verify === 'true' ? verifyAuditChain(db, { tenantId: scope }) : Promise.resolve(null)
	]);
	return json({ ...page, verification });
};
