import { listMail } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const r = await listMail({ client: api(event), query: { limit: 50, cursor } });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { mail: r.data, paged: Boolean(cursor) };
};
