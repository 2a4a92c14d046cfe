import { fail } from '@sveltejs/kit';
import { createTenant, listTenants } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const tenants = await listTenants({ client: api(event), query: { cursor, limit: 50 } });
	if (!tenants.data) failLoad(event, tenants.response?.status, tenants.error);
	return { tenants: tenants.data };
};

export const actions: Actions = {
	create: async (event) => {
		const form = await event.request.formData();
		const slug = String(form.get('slug') ?? '').trim();
		const name = String(form.get('name') ?? '').trim();
		const r = await createTenant({ client: formApi(event, form), body: { slug, name } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), slug, name });
		return { created: r.data.name };
	}
};
