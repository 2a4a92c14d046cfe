import { getMail } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const r = await getMail({ client: api(event), path: { id: event.params.id } });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { message: r.data };
};
