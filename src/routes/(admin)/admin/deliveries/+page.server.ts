import { fail } from '@sveltejs/kit';
import { getPlatformNotificationSettings, listAdminDeliveries, listTenants, resendAdminDelivery, updatePlatformNotificationSettings } from '#lib/api/sdk.gen';
import { zDeliveryStatus, zNotificationEventType } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const client = api(event);
	// dead letters first: the console's question is "what needs a resend?"
	const raw = event.url.searchParams.get('status');
	const status = raw === '' ? null : zDeliveryStatus.safeParse(raw ?? 'dead_lettered');
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const [deliveries, tenants, settings] = await Promise.all([
		listAdminDeliveries({ client, query: { limit: 50, cursor, ...(status?.success ? { status: status.data } : {}) } }),
		listTenants({ client, query: { limit: 200 } }),
		getPlatformNotificationSettings({ client })
	]);
	if (!deliveries.data) failLoad(event, deliveries.response?.status, deliveries.error);
	if (!tenants.data) failLoad(event, tenants.response?.status, tenants.error);
	if (!settings.data) failLoad(event, settings.response?.status, settings.error);
	return {
		deliveries: deliveries.data,
		tenants: Object.fromEntries(tenants.data.items.map((t) => [t.id, t.name])),
		settings: settings.data,
		status: status?.success ? status.data : '',
		paged: Boolean(cursor)
	};
};

export const actions: Actions = {
	resend: async (event) => {
		const form = await event.request.formData();
		const r = await resendAdminDelivery({ client: formApi(event, form), path: { id: String(form.get('id') ?? '') } });
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { resent: true };
	},
	settings: async (event) => {
		const form = await event.request.formData();
		const events = [...form.keys()]
			.filter((k) => k.startsWith('recipients:'))
			.flatMap((k) => {
				const parsed = zNotificationEventType.safeParse(k.slice('recipients:'.length));
				const recipients = String(form.get(k) ?? '')
					.split(/[\s,;]+/)
					.filter(Boolean);
				return parsed.success ? [{ event: parsed.data, recipients }] : [];
			});
		const r = await updatePlatformNotificationSettings({ client: formApi(event, form), body: { events } });
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { saved: true };
	}
};
