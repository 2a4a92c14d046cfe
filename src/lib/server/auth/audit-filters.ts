import { zAuditResult } from '#lib/api/zod.gen';

/**
 * The audit pages' filters from their URL: action (exact or prefix*), result,
 * and a day range (from the first day's start to the last day's end, UTC).
 */
export function auditFilters(params: URLSearchParams) {
	const action = params.get('action')?.trim() || undefined;
	const result = zAuditResult.safeParse(params.get('result'));
	const day = (key: string) => {
		const v = params.get(key) ?? '';
		return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) ? v : '';
	};
	const from = day('from');
	const to = day('to');
	return {
		query: {
			action,
			result: result.success ? result.data : undefined,
			from: from ? `${from}T00:00:00Z` : undefined,
			to: to ? new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString() : undefined
		},
		filters: { action: action ?? '', result: result.success ? result.data : '', from, to }
	};
}
