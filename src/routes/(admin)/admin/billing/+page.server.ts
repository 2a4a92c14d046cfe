import { fail } from '@sveltejs/kit';
import { listAdminReports, runReports } from '#lib/api/sdk.gen';
import { zReportMonth } from '#lib/api/zod.gen';
import { failLoad, problemMessage, signInFirst } from '#lib/server/auth/pages';
import { api, formApi } from '#lib/server/bff';
import { previousMonth } from '#lib/ui/reports/format';
import type { Actions, PageServerLoad } from './$types';

/** Every report of one month (newest version of each tenant first in the list), for platform admins. */
export const load: PageServerLoad = async (event) => {
	signInFirst(event);
	const asked = zReportMonth.safeParse(event.url.searchParams.get('month'));
	const month = asked.success ? asked.data : previousMonth();
	const r = await listAdminReports({ client: api(event), query: { month, limit: 200 } });
	if (!r.data) failLoad(event, r.response?.status, r.error);
	// the newest version of each scope: the list is newest version first within a scope
	const seen = new Set<string>();
	const latest = r.data.items.filter((x) => {
		const scope = x.tenant?.id ?? 'platform';
		if (seen.has(scope)) return false;
		seen.add(scope);
		return true;
	});
	return { month, reports: latest, versions: r.data.items.length, more: r.data.nextCursor !== null };
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
