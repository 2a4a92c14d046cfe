import { fail } from '@sveltejs/kit';
import { getCertificate, getMe, revokeCertificate } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const [me, cert] = await Promise.all([getMe({ client }), getCertificate({ client, path: { id: event.params.id } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!cert.data) failLoad(event, cert.response?.status, cert.error);
	return {
		certificate: cert.data,
		pdfUrl: cert.data.status !== 'issuing' ? `/api/v1/certificates/${cert.data.publicId}/pdf` : null,
		canRevoke: me.data.actions.includes('certificates:revoke')
	};
};

export const actions: Actions = {
	revoke: async (event) => {
		const form = await event.request.formData();
		const reason = String(form.get('reason') ?? '').trim();
		const r = await revokeCertificate({ client: formApi(event, form), path: { id: event.params.id }, body: { reason } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), reason });
		return { revoked: true };
	}
};
