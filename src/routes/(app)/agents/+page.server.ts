import { fail } from '@sveltejs/kit';
import { changeAgentStatus, createEnrolmentToken, getMe, listAgents } from '#lib/api/sdk.gen';
import { zAgentStatus } from '#lib/api/zod.gen';
import { failLoad, formProblem, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const [me, agents] = await Promise.all([getMe({ client }), listAgents({ client, query: { cursor, limit: 50 } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!agents.data) failLoad(event, agents.response?.status, agents.error);
	return { agents: agents.data, canManage: me.data.actions.includes('agents:manage') };
};

export const actions: Actions = {
	enrol: async (event) => {
		const form = await event.request.formData();
		const name = String(form.get('name') ?? '').trim();
		const r = await createEnrolmentToken({ client: formApi(event, form), body: { name } });
		if (r.error) return fail(r.response?.status ?? 500, { action: 'enrol', ...formProblem(r.error), name });
		// Shown once: the token is in this answer only, never stored in the page's data.
		return { action: 'enrol', enrolment: r.data };
	},
	status: async (event) => {
		const form = await event.request.formData();
		const status = zAgentStatus.safeParse(form.get('status'));
		if (!status.success) return fail(422, { action: 'status', problem: 'Unknown status.' });
		const reason = String(form.get('reason') ?? '').trim() || undefined;
		const r = await changeAgentStatus({
			client: formApi(event, form),
			path: { id: String(form.get('id') ?? '') },
			body: { status: status.data, reason }
		});
		if (r.error) return fail(r.response?.status ?? 500, { action: 'status', problem: problemMessage(r.error) });
		return { action: 'status', changed: r.data.name };
	}
};
