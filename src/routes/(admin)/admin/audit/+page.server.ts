import { listAdminAuditEvents } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const p = event.url.searchParams;
	const action = p.get('action')?.trim() || undefined;
	const tenantId = p.get('tenantId')?.trim() || undefined;
	const r = await listAdminAuditEvents({
		client: api(event),
		query: { cursor: p.get('cursor') ?? undefined, limit: 50, action, tenantId, verify: 'true' }
	});
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { audit: r.data, filters: { action: action ?? '', tenantId: tenantId ?? '' } };
};
