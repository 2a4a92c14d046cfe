import { fail } from '@sveltejs/kit';
import { getTenantSettings, putTenantLogo, updateTenantSettings } from '#lib/api/sdk.gen';
import { zTenantLanguage } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const r = await getTenantSettings({ client: api(event) });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { settings: r.data };
};

export const actions: Actions = {
	save: async (event) => {
		const form = await event.request.formData();
		const language = zTenantLanguage.safeParse(form.get('language'));
		const r = await updateTenantSettings({
			client: formApi(event, form),
			body: { name: String(form.get('name') ?? ''), ...(language.success ? { language: language.data } : {}) }
		});
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { saved: true };
	},
	logo: async (event) => {
		const form = await event.request.formData();
		const file = form.get('logo');
		if (!(file instanceof File) || file.size === 0) return fail(422, { problem: 'Choose an image file.' });
		const bytes = new Blob([await file.arrayBuffer()]);
		const r = await putTenantLogo({
			client: formApi(event, form),
			body: bytes,
			bodySerializer: () => bytes,
			// The generated validator types a binary body as a string (format: binary); the API
			// checks the image itself (magic bytes, size), so the bytes go through unvalidated here.
			requestValidator: async () => undefined,
			headers: { 'content-type': file.type || 'application/octet-stream' }
		});
		if (r.error || !r.response?.ok) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { logoSaved: true };
	}
};
