import { fail } from '@sveltejs/kit';
import { getMe, getProof, reprocessProof } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	event.depends('app:proofs');
	const client = api(event);
	const [me, proof] = await Promise.all([getMe({ client }), getProof({ client, path: { id: event.params.id } })]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!proof.data) failLoad(event, proof.response?.status, proof.error);
	return { proof: proof.data, canWrite: me.data.actions.includes('proofs:write') };
};

export const actions: Actions = {
	reprocess: async (event) => {
		const r = await reprocessProof({ client: formApi(event, await event.request.formData()), path: { id: event.params.id } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { reprocessed: r.data.status };
	}
};
