import { fail } from '@sveltejs/kit';
import { getAdminDelivery, resendAdminDelivery } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const d = await getAdminDelivery({ client: api(event), path: { id: event.params.id } });
	if (!d.data) failLoad(event, d.response?.status, d.error);
	return { delivery: d.data };
};

export const actions: Actions = {
	resend: async (event) => {
		const form = await event.request.formData();
		const r = await resendAdminDelivery({ client: formApi(event, form), path: { id: event.params.id } });
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { resent: true };
	}
};
