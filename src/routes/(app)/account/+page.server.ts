import { fail, redirect } from '@sveltejs/kit';
import { getMe, listSessions, revokeAllSessions, revokeSession } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const [me, sessions] = await Promise.all([getMe({ client }), listSessions({ client })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	// A service account has no sessions; people always do.
	return { me: me.data, sessions: sessions.data?.items ?? [] };
};

export const actions: Actions = {
	endSession: async (event) => {
		const form = await event.request.formData();
		const id = String(form.get('id') ?? '');
		const r = await revokeSession({ client: formApi(event, form), path: { id } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { ended: true };
	},
	signOutEverywhere: async (event) => {
		const r = await revokeAllSessions({ client: formApi(event, await event.request.formData()) });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		redirect(303, '/');
	}
};
