import { listActivity } from '#lib/server/activity';
import { PLATFORM_CHAIN, verifyAuditChain } from '#lib/server/audit';
import { operation } from '#lib/server/route';

/**
 * GET /api/v1/admin/audit — audit rows across the platform, with the
 * verification of the chains they come from: the filtered tenant's (or the
 * platform chain), else every chain.
 */
export const GET = operation('listAdminAuditEvents', async ({ app, query: { tenantId, verify, from, to, ...query } }) => {
	const db = app.database.db;
	const scope = tenantId === undefined ? undefined : tenantId === PLATFORM_CHAIN ? null : tenantId.toLowerCase();
	const [page, verification] = await Promise.all([
		listActivity(db, { ...query, tenantId: scope, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }),
		verify === 'true' ? verifyAuditChain(db, { tenantId: scope }) : Promise.resolve(null)
	]);
	return { ...page, verification };
});
