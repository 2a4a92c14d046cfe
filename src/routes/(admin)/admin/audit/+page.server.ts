import { listAdminAuditEvents } from '#lib/api/sdk.gen';
import { auditFilters } from '#lib/server/auth/audit-filters';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const p = event.url.searchParams;
	const { query, filters } = auditFilters(p);
	const tenantId = p.get('tenantId')?.trim() || undefined;
	const r = await listAdminAuditEvents({
		client: api(event),
		// the chains are verified on the first page only: later pages are the same chains
		query: { cursor: p.get('cursor') ?? undefined, limit: 50, ...query, tenantId, verify: p.get('cursor') ? 'false' : 'true' }
	});
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { audit: r.data, filters: { ...filters, tenantId: tenantId ?? '' } };
};
