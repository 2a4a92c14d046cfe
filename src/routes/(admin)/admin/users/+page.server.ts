import { fail } from '@sveltejs/kit';
import { changePlatformUser, getMe, listPlatformUsers } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const [me, users] = await Promise.all([getMe({ client }), listPlatformUsers({ client, query: { cursor: event.url.searchParams.get('cursor') ?? undefined, limit: 50 } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!users.data) failLoad(event, users.response?.status, users.error);
	return { users: users.data, myId: me.data.id };
};

export const actions: Actions = {
	admin: async (event) => {
		const form = await event.request.formData();
		const r = await changePlatformUser({
			client: formApi(event, form),
			path: { id: String(form.get('id') ?? '') },
			body: { platformAdmin: form.get('platformAdmin') === 'true' }
		});
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { changed: r.data.email ?? r.data.id };
	}
};
