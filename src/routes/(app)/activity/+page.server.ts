import { listAuditEvents } from '#lib/api/sdk.gen';
import { auditFilters } from '#lib/server/auth/audit-filters';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const p = event.url.searchParams;
	const { query, filters } = auditFilters(p);
	const r = await listAuditEvents({ client: api(event), query: { cursor: p.get('cursor') ?? undefined, limit: 50, ...query } });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { audit: r.data, filters };
};
