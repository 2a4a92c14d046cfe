import { getOverviewStats } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	event.depends('app:proofs');
	const stats = await getOverviewStats({ client: api(event), query: { days: 30 } });
	if (!stats.data) failLoad(event, stats.response?.status, stats.error);
	return { stats: stats.data };
};
