import { fail } from '@sveltejs/kit';
import { discardDeadLetter, listDeadLetters, listQueues, retryDeadLetter } from '#lib/api/sdk.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const queues = await listQueues({ client });
	if (!queues.data) failLoad(event, queues.response?.status, queues.error);
	// Dead letters of the queues that have any (a handful of queues: one call each).
	const withDead = queues.data.items.filter((q) => q.deadLetters > 0);
	const dead = await Promise.all(withDead.map((q) => listDeadLetters({ client, path: { queue: q.queue }, query: { limit: 20 } })));
	return {
		queues: queues.data.items,
		deadLetters: dead.flatMap((d) => d.data?.items ?? []).map((d) => ({ ...d, data: JSON.stringify(d.data) }))
	};
};

/** The dead letter a form names, and the client that sends the form's key. */
const target = async (event: Parameters<Actions[string]>[0]) => {
	const form = await event.request.formData();
	return { client: formApi(event, form), path: { queue: String(form.get('queue') ?? ''), jobId: String(form.get('id') ?? '') } };
};

export const actions: Actions = {
	retry: async (event) => {
		const r = await retryDeadLetter(await target(event));
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { settled: 'retried' as const };
	},
	discard: async (event) => {
		const r = await discardDeadLetter(await target(event));
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { settled: 'discarded' as const };
	}
};
