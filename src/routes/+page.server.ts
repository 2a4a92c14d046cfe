import { getBuildinfo, getHealth } from '#lib/api/sdk.gen';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	const client = api(event);
	const [build, health] = await Promise.all([getBuildinfo({ client }), getHealth({ client })]);
	return {
		build: build.data ?? null,
		health: health.data ?? null,
		problem: build.error || health.error ? 'status unavailable' : null
	};
};
