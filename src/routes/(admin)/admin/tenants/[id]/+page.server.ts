import { fail } from '@sveltejs/kit';
import { disableServiceAccount, getTenant, listServiceAccounts, registerServiceAccount } from '#lib/api/sdk.gen';
import { zAction } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const id = event.params.id;
	const [tenant, accounts] = await Promise.all([getTenant({ client, path: { id } }), listServiceAccounts({ client, path: { id } })]);
	if (!tenant.data) failLoad(event, tenant.response?.status, tenant.error);
	if (!accounts.data) failLoad(event, accounts.response?.status, accounts.error);
	return { tenant: tenant.data, accounts: accounts.data.items, grantable: zAction.options.filter((a) => !['licences:grant', 'admin:tenants', 'admin:audit', 'admin:queues'].includes(a)) };
};

export const actions: Actions = {
	register: async (event) => {
		const form = await event.request.formData();
		const clientId = String(form.get('clientId') ?? '').trim();
		const name = String(form.get('name') ?? '').trim();
		const scopes = form.getAll('scopes').flatMap((s) => {
			const parsed = zAction.safeParse(s);
			return parsed.success ? [parsed.data] : [];
		});
		const r = await registerServiceAccount({ client: api(event), path: { id: event.params.id }, body: { clientId, name, scopes } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), clientId, name });
		return { registered: r.data.clientId };
	},
	disable: async (event) => {
		const id = String((await event.request.formData()).get('id') ?? '');
		const r = await disableServiceAccount({ client: api(event), path: { id } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { disabled: true };
	}
};
