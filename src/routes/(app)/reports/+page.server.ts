import { getReport, listReports } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

/** The tenant's monthly reports; the one in `?id=` (or the newest published) with its figures. */
export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const list = await listReports({ client, query: { cursor, limit: 24 } });
	if (!list.data) failLoad(event, list.response?.status, list.error);
	const wanted = event.url.searchParams.get('id') ?? list.data.items.find((r) => r.status === 'published')?.id;
	if (!wanted) return { reports: list.data, selected: null };
	const detail = await getReport({ client, path: { id: wanted } });
	if (!detail.data) failLoad(event, detail.response?.status, detail.error);
	return { reports: list.data, selected: detail.data };
};
