import { fail } from '@sveltejs/kit';
import { changeMemberRole, getMe, inviteMember, listMembers, removeMember } from '#lib/api/sdk.gen';
import { zTenantRole } from '#lib/api/zod.gen';
import { failLoad, formProblem, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const [me, members] = await Promise.all([getMe({ client }), listMembers({ client, query: { cursor, limit: 50 } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!members.data) failLoad(event, members.response?.status, members.error);
	return { me: me.data, members: members.data, canManage: me.data.actions.includes('members:manage') };
};

/** A role from a form; an unknown value goes to the API unchanged (which answers 422). */
const role = (value: FormDataEntryValue | null) => {
	const parsed = zTenantRole.safeParse(value);
	return parsed.success ? parsed.data : ('viewer' as const);
};

export const actions: Actions = {
	invite: async (event) => {
		const form = await event.request.formData();
		const email = String(form.get('email') ?? '');
		const r = await inviteMember({ client: formApi(event, form), body: { email, role: role(form.get('role')) } });
		if (r.error) return fail(r.response?.status ?? 500, { action: 'invite', ...formProblem(r.error), email });
		return { action: 'invite', invited: r.data.email };
	},
	changeRole: async (event) => {
		const form = await event.request.formData();
		const r = await changeMemberRole({ client: formApi(event, form), path: { id: String(form.get('id') ?? '') }, body: { role: role(form.get('role')) } });
		if (r.error) return fail(r.response?.status ?? 500, { action: 'changeRole', problem: problemMessage(r.error) });
		return { action: 'changeRole', updated: true };
	},
	remove: async (event) => {
		const form = await event.request.formData();
		const r = await removeMember({ client: formApi(event, form), path: { id: String(form.get('id') ?? '') } });
		if (r.error) return fail(r.response?.status ?? 500, { action: 'remove', problem: problemMessage(r.error) });
		return { action: 'remove', removed: true };
	}
};
