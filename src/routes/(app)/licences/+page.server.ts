import { getLicenceBalance, listLicenceLedger } from '#lib/api/sdk.gen';
import { failLoad, signInFirst } from '#lib/server/auth/pages';
import { api } from '#lib/server/bff';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const [balance, ledger] = await Promise.all([getLicenceBalance({ client }), listLicenceLedger({ client, query: { cursor, limit: 50 } })]);
	if (!balance.data) failLoad(event, balance.response?.status, balance.error);
	if (!ledger.data) failLoad(event, ledger.response?.status, ledger.error);
	return { balance: balance.data, ledger: ledger.data };
};
