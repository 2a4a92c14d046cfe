import { fail } from '@sveltejs/kit';
import { getMe, getTenantSettings, putTenantLogo, updateTenantSettings } from '#lib/api/sdk.gen';
import { zCertificateOperator, zTenantLanguage } from '#lib/api/zod.gen';
import { failLoad, formProblem, problemMessage, requirePageAction, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const me = await getMe({ client });
	if (!me.data) failLoad(event, me.response?.status, me.error);
	// the settings change the tenant: a page only its admins see (a viewer's form would only be refused)
	requirePageAction(event, me.data, 'tenant:settings');
	const r = await getTenantSettings({ client });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	return { settings: r.data, timeZones: Intl.supportedValuesOf('timeZone') };
};

export const actions: Actions = {
	save: async (event) => {
		const form = await event.request.formData();
		const language = zTenantLanguage.safeParse(form.get('language'));
		const operator = zCertificateOperator.safeParse(form.get('certificateOperator'));
		const timeZone = String(form.get('timeZone') ?? '').trim();
		const r = await updateTenantSettings({
			client: formApi(event, form),
			body: {
				name: String(form.get('name') ?? ''),
				...(language.success ? { language: language.data } : {}),
				...(timeZone ? { timeZone } : {}),
				...(operator.success ? { certificateOperator: operator.data } : {})
			}
		});
		if (r.error) return fail(r.response?.status ?? 500, { ...formProblem(r.error), values: { name: String(form.get('name') ?? ''), timeZone } });
		return { saved: true };
	},
	logo: async (event) => {
		const form = await event.request.formData();
		const file = form.get('logo');
		if (!(file instanceof File) || file.size === 0) return fail(422, { problem: 'Choose an image file.', fields: {} });
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
		if (r.error || !r.response?.ok) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), fields: {} });
		return { logoSaved: true };
	}
};
