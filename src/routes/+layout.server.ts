import { getMe } from '#lib/api/sdk.gen';
import { getLocale } from '#lib/paraglide/runtime';
import { api, newFormKey } from '#lib/server/bff';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async (event) => ({
	locale: getLocale(),
	// The caller (roles, allowed actions) for the navigation; anonymous: null.
	me: event.locals.actor ? ((await getMe({ client: api(event) })).data ?? null) : null,
	// every POST form of the page sends it as its Idempotency-Key (FormKey.svelte, bff.ts formApi)
	formKey: newFormKey()
});
