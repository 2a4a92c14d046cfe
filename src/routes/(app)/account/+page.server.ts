import { fail, redirect } from '@sveltejs/kit';
import { getMe, listSessions, revokeAllSessions, revokeSession } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
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
		const id = String((await event.request.formData()).get('id') ?? '');
		const r = await revokeSession({ client: api(event), path: { id } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { ended: true };
	},
	signOutEverywhere: async (event) => {
		const r = await revokeAllSessions({ client: api(event) });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		redirect(303, '/');
	}
};
