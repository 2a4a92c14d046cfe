import { getMaintenanceStatus, getMe } from '#lib/api/sdk.gen';
import { getLocale } from '#lib/paraglide/runtime';
import { api, newFormKey } from '#lib/server/bff';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async (event) => {
	// The caller (roles, allowed actions) for the navigation; anonymous: null.
	const me = event.locals.actor ? ((await getMe({ client: api(event) })).data ?? null) : null;
	// Console pages carry the integrity banner while the newest integrity run found a break.
	const console = event.url.pathname.startsWith('/admin') && (me?.actions as string[] | undefined)?.includes('admin:queues');
	const integrityBroken = console ? ((await getMaintenanceStatus({ client: api(event) })).data?.integrityBroken ?? false) : false;
	// every POST form of the page sends it as its Idempotency-Key (FormKey.svelte, bff.ts formApi)
	return { locale: getLocale(), me, formKey: newFormKey(), integrityBroken };
};
