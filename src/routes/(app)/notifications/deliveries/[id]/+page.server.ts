import { fail } from '@sveltejs/kit';
import { getDelivery, getMe, resendDelivery } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const [me, d] = await Promise.all([getMe({ client }), getDelivery({ client, path: { id: event.params.id } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!d.data) failLoad(event, d.response?.status, d.error);
	return { delivery: d.data, canResend: me.data.actions.includes('notifications:manage') };
};

export const actions: Actions = {
	resend: async (event) => {
		const form = await event.request.formData();
		const r = await resendDelivery({ client: formApi(event, form), path: { id: event.params.id } });
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { resent: true };
	}
};
