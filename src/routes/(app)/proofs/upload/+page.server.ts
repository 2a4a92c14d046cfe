import { getMe } from '#lib/api/sdk.gen';
import { failLoad, requirePageAction, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import { attestingName } from '#lib/server/proofs';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const me = await getMe({ client: api(event) });
	if (!me.data) failLoad(event, me.response?.status, me.error);
	requirePageAction(event, me.data, 'proofs:write');
	// the name an nwipe upload is attested under (the API derives the same from the session)
	return { operatorName: attestingName(me.data.displayName ?? me.data.email ?? undefined, me.data.id.slice(0, 8)) };
};
