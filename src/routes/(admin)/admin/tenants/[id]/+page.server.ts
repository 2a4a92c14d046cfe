import { fail } from '@sveltejs/kit';
import { changeTenantStatus, disableServiceAccount, getTenant, getTenantLicences, grantLicences, inviteTenantMember, listServiceAccounts, registerServiceAccount } from '#lib/api/sdk.gen';
import { zAction, zInviteTenantMemberBody, zLicenceGrant, zTenantStatus } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const id = event.params.id;
	const [tenant, accounts, licences] = await Promise.all([
		getTenant({ client, path: { id } }),
		listServiceAccounts({ client, path: { id } }),
		getTenantLicences({ client, path: { id }, query: { limit: 10 } })
	]);
	if (!tenant.data) failLoad(event, tenant.response?.status, tenant.error);
	if (!accounts.data) failLoad(event, accounts.response?.status, accounts.error);
	if (!licences.data) failLoad(event, licences.response?.status, licences.error);
	return { tenant: tenant.data, accounts: accounts.data.items, licences: licences.data, grantable: zAction.options.filter((a) => !['licences:grant', 'admin:tenants', 'admin:audit', 'admin:queues', 'admin:notifications'].includes(a)) };
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
		const r = await registerServiceAccount({ client: formApi(event, form), path: { id: event.params.id }, body: { clientId, name, scopes } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), clientId, name });
		return { registered: r.data.clientId };
	},
	disable: async (event) => {
		const form = await event.request.formData();
		const id = String(form.get('id') ?? '');
		const r = await disableServiceAccount({ client: formApi(event, form), path: { id } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { disabled: true };
	},
	status: async (event) => {
		const form = await event.request.formData();
		const status = zTenantStatus.safeParse(form.get('status'));
		if (!status.success) return fail(422, { problem: 'Unknown status.' });
		const r = await changeTenantStatus({
			client: formApi(event, form),
			path: { id: event.params.id },
			body: { status: status.data, reason: String(form.get('reason') ?? '').trim() }
		});
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { statusChanged: r.data.status };
	},
	grant: async (event) => {
		const form = await event.request.formData();
		const kind = zLicenceGrant.shape.kind.safeParse(form.get('kind'));
		const r = await grantLicences({
			client: formApi(event, form),
			body: { tenantId: event.params.id, kind: kind.success ? kind.data : 'top_up', amount: Number(form.get('amount') ?? 0), reason: String(form.get('reason') ?? '').trim() }
		});
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { granted: r.data.amount, balance: r.data.balanceAfter };
	},
	/** A new tenant's first admin (or anyone else): the tenancy invitation, joined at first sign-in. */
	invite: async (event) => {
		const form = await event.request.formData();
		const email = String(form.get('email') ?? '').trim();
		// The generated client validates its request and would throw on a bad address: answer it here instead.
		const body = zInviteTenantMemberBody.safeParse({ email, role: form.get('role') });
		if (!body.success) return fail(422, { inviteInvalid: true, inviteEmail: email });
		const r = await inviteTenantMember({ client: formApi(event, form), path: { id: event.params.id }, body: body.data });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), inviteEmail: email });
		return { invited: r.data.email ?? email, invitedRole: r.data.role };
	}
};
