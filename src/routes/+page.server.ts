import { error, redirect } from '@sveltejs/kit';
import { getBuildinfo, getHealth, switchTenant } from '#lib/api/sdk.gen';
import { safeReturnTo } from '#lib/server/auth/signin';
import { failLoad } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [build, health] = await Promise.all([getBuildinfo({ client }), getHealth({ client })]);
	return {
		build: build.data ?? null,
		health: health.data ?? null,
		problem: build.error || health.error ? 'status unavailable' : null
	};
};

export const actions: Actions = {
	/** The header's tenant switcher: this session works in the chosen tenant from now on. */
	switchTenant: async (event) => {
		const form = await event.request.formData();
		const r = await switchTenant({ client: formApi(event, form), body: { tenantId: String(form.get('tenantId') ?? '') } });
		if (!r.data) {
			if (r.response?.status === 422) error(404, { code: 'not_found', message: 'You are not a member of this tenant.', correlationId: event.locals.correlationId });
			failLoad(event, r.response?.status, r.error);
		}
		redirect(303, safeReturnTo(String(form.get('returnTo') ?? '/overview')));
	}
};
