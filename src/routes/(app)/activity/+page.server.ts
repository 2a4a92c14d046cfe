import { listAuditEvents } from '#lib/api/sdk.gen';
import { zAuditResult } from '#lib/api/zod.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const p = event.url.searchParams;
	const action = p.get('action')?.trim() || undefined;
	const result = zAuditResult.safeParse(p.get('result'));
	const r = await listAuditEvents({
		client: api(event),
		query: { cursor: p.get('cursor') ?? undefined, limit: 50, action, result: result.success ? result.data : undefined }
	});
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { audit: r.data, filters: { action: action ?? '', result: result.success ? result.data : '' } };
};
