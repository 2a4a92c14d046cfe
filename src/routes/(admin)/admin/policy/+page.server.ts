import { getPolicy } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const r = await getPolicy({ client: api(event) });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { policy: r.data };
};
