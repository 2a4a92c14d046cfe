import { fail } from '@sveltejs/kit';
import { createWebhook, deleteWebhook, getMe, getNotificationSettings, listDeliveries, listWebhooks, rotateWebhookSecret, testWebhook, updateNotificationSettings, updateWebhook } from '#lib/api/sdk.gen';
import { zDeliveryStatus, zNotificationEventType, zWebhookEventType } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	event.depends('app:deliveries');
	const client = api(event);
	const status = zDeliveryStatus.safeParse(event.url.searchParams.get('status'));
	const cursor = event.url.searchParams.get('cursor') ?? undefined;
	const [me, endpoints, settings, deliveries] = await Promise.all([
		getMe({ client }),
		listWebhooks({ client, query: { limit: 100 } }),
		getNotificationSettings({ client }),
		listDeliveries({ client, query: { limit: 25, cursor, ...(status.success ? { status: status.data } : {}) } })
	]);
	if (!me.data) failLoad(event, me.response?.status, me.error);
	if (!endpoints.data) failLoad(event, endpoints.response?.status, endpoints.error);
	if (!settings.data) failLoad(event, settings.response?.status, settings.error);
	if (!deliveries.data) failLoad(event, deliveries.response?.status, deliveries.error);
	return {
		endpoints: endpoints.data.items,
		settings: settings.data,
		deliveries: deliveries.data,
		status: status.success ? status.data : '',
		paged: Boolean(cursor),
		events: zWebhookEventType.options,
		canManage: me.data.actions.includes('notifications:manage')
	};
};

/** Recipients typed into a textarea: split on commas, semicolons and white space. */
const addresses = (value: FormDataEntryValue | null) =>
	String(value ?? '')
		.split(/[\s,;]+/)
		.map((a) => a.trim())
		.filter(Boolean);

export const actions: Actions = {
	createEndpoint: async (event) => {
		const form = await event.request.formData();
		const url = String(form.get('url') ?? '');
		const events = form.getAll('events').flatMap((e) => {
			const parsed = zWebhookEventType.safeParse(e);
			return parsed.success ? [parsed.data] : [];
		});
		const r = await createWebhook({ client: formApi(event, form), body: { url, events, description: String(form.get('description') ?? '') } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error), url });
		return { secret: r.data.secret, secretFor: r.data.url };
	},
	endpoint: async (event) => {
		const form = await event.request.formData();
		const id = String(form.get('id') ?? '');
		const client = formApi(event, form);
		const op = String(form.get('op') ?? '');
		if (op === 'test') {
			const r = await testWebhook({ client, path: { id } });
			return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { tested: true };
		}
		if (op === 'rotate') {
			const r = await rotateWebhookSecret({ client, path: { id } });
			return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { secret: r.data.secret, secretFor: String(form.get('url') ?? ''), overlapUntil: r.data.previousSecretExpiresAt };
		}
		if (op === 'delete') {
			const r = await deleteWebhook({ client, path: { id } });
			return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { deleted: true };
		}
		const r = await updateWebhook({ client, path: { id }, body: { enabled: op === 'enable' } });
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { updated: true };
	},
	settings: async (event) => {
		const form = await event.request.formData();
		const events = [...form.keys()]
			.filter((k) => k.startsWith('recipients:'))
			.flatMap((k) => {
				const parsed = zNotificationEventType.safeParse(k.slice('recipients:'.length));
				return parsed.success ? [{ event: parsed.data, recipients: addresses(form.get(k)) }] : [];
			});
		const digest = String(form.get('digest') ?? 'off');
		const r = await updateNotificationSettings({
			client: formApi(event, form),
			body: {
				senderName: String(form.get('senderName') ?? '') || null,
				digest: digest === 'hourly' || digest === 'daily' ? digest : 'off',
				events
			}
		});
		return r.error ? fail(r.response?.status ?? 500, { problem: problemMessage(r.error) }) : { saved: true };
	}
};
