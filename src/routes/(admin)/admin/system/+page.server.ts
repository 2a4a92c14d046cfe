import { getMaintenanceStatus, getSystemStatus } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const [r, maintenance] = await Promise.all([getSystemStatus({ client: api(event) }), getMaintenanceStatus({ client: api(event) })]);
	if (!r.data) failLoad(event, r.response?.status, r.error);
	if (!maintenance.data) failLoad(event, maintenance.response?.status, maintenance.error);
	return { system: r.data, maintenance: maintenance.data };
};
