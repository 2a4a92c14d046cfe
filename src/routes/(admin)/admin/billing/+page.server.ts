import { fail } from '@sveltejs/kit';
import { listAdminReports, runReports } from '#lib/api/sdk.gen';
import type { Report } from '#lib/api/types.gen';
import { zReportMonth } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import { previousMonth } from '#lib/ui/reports/format';
import type { Actions, PageServerLoad } from './$types';

/** The newest version of every report of one month (each tenant's and the platform's), for platform admins. */
export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const asked = zReportMonth.safeParse(event.url.searchParams.get('month'));
	const month = asked.success ? asked.data : previousMonth();
	// every report of the month, page by page (each tenant has one per version)
	const items: Report[] = [];
	let cursor: string | undefined;
	do {
		const r = await listAdminReports({ client: api(event), query: { month, limit: 200, cursor } });
		if (!r.data) failLoad(event, r.response?.status, r.error);
		items.push(...r.data.items);
		cursor = r.data.nextCursor ?? undefined;
	} while (cursor);
	// the newest version of each scope: the list is newest version first within a scope
	const seen = new Set<string>();
	const latest = items.filter((x) => {
		const scope = x.tenant?.id ?? 'platform';
		if (seen.has(scope)) return false;
		seen.add(scope);
		return true;
	});
	return { month, reports: latest };
};

export const actions: Actions = {
	/** A new version of the month's reports (one tenant, or all and the platform report); audited by the API. */
	regenerate: async (event) => {
		const form = await event.request.formData();
		const month = zReportMonth.safeParse(form.get('month'));
		if (!month.success) return fail(422, { problem: 'YYYY-MM' });
		const tenantId = String(form.get('tenantId') ?? '').trim() || undefined;
		const reason = String(form.get('reason') ?? '').trim() || undefined;
		const r = await runReports({ client: formApi(event, form), body: { month: month.data, tenantId, reason } });
		if (r.error) return fail(r.response?.status ?? 500, { problem: problemMessage(r.error) });
		return { queued: r.data.reports.length };
	}
};
