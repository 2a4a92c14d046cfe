import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import { actionOfPath } from '#lib/ui/nav';
import { isRole, leastRoleFor, ROLE_ACTIONS } from './policy';

/**
 * Pages of the dashboard send an anonymous visitor to sign-in (and back
 * afterwards) instead of showing an empty page.
 */
export function signInFirst(event: Pick<RequestEvent, 'locals' | 'url'>): void {
	if (!event.locals.actor) redirect(303, `/auth/login?returnTo=${encodeURIComponent(event.url.pathname + event.url.search)}`);
}

/**
 * Maps an API error answer (the envelope) of a page load to Kit's error page
 * or the sign-in. A 403 names the least role the page needs: the action of
 * `action`, else of the page's navigation entry (ui/nav.ts).
 */
export function failLoad(event: Pick<RequestEvent, 'locals' | 'url'>, status: number | undefined, problem: unknown, action?: string): never {
	if (status === 401) redirect(303, `/auth/login?returnTo=${encodeURIComponent(event.url.pathname)}`);
	const body = typeof problem === 'object' && problem !== null && 'error' in problem ? (problem as { error: { code?: unknown; message?: unknown } }).error : null;
	const needed = action ?? actionOfPath(event.url.pathname);
	// no status: the request never left, because the generated client's validator refused our own
	// input to it (a path parameter from the URL, say): the client's mistake, not ours
	error(status ?? (problem instanceof Error && problem.name === 'ZodError' ? 400 : 500), {
		code: typeof body?.code === 'string' ? body.code : 'internal_error',
		message: typeof body?.message === 'string' ? body.message : 'The page could not be loaded.',
		correlationId: event.locals.correlationId,
		...(status === 403 && needed ? { needs: leastRoleFor(needed) ?? undefined } : {})
	});
}

/**
 * The 403 page for a page the caller's role (or their tenant's suspension)
 * does not allow, before any form is shown that the API would refuse.
 */
export function requirePageAction(event: Pick<RequestEvent, 'locals'>, me: { actions: readonly string[]; roles: readonly string[]; tenantStatus?: string | null }, action: string): void {
	if (me.actions.includes(action)) return;
	const roleAllows = me.roles.some((r) => isRole(r) && (ROLE_ACTIONS[r] as readonly string[]).includes(action));
	const suspended = me.tenantStatus === 'suspended' && roleAllows;
	error(403, {
		code: suspended ? 'tenant_suspended' : 'forbidden',
		message: suspended ? 'This tenant is suspended; its pages are read-only.' : 'Your role does not allow this page.',
		correlationId: event.locals.correlationId,
		needs: leastRoleFor(action) ?? undefined
	});
}

/** The envelope's message of a failed API call, for a form to show. */
export function problemMessage(problem: unknown): string {
	if (typeof problem === 'object' && problem !== null && 'error' in problem) {
		const e = (problem as { error: { message?: unknown; details?: { field?: string; problem: string }[] } }).error;
		const details = Array.isArray(e.details) ? e.details.map((d) => (d.field ? `${d.field}: ${d.problem}` : d.problem)).join('; ') : '';
		if (typeof e.message === 'string') return details ? `${e.message} (${details})` : e.message;
	}
	return 'The request failed.';
}

/**
 * A failed form's answer: the envelope's message for the top of the form and
 * each field's problem (409/422 `details`) to show next to that field.
 */
export function formProblem(problem: unknown): { problem: string; fields: Record<string, string> } {
	const fields: Record<string, string> = {};
	let message = 'The request failed.';
	if (typeof problem === 'object' && problem !== null && 'error' in problem) {
		const e = (problem as { error: { message?: unknown; details?: { field?: unknown; problem?: unknown }[] } }).error;
		if (typeof e.message === 'string') message = e.message;
		for (const d of Array.isArray(e.details) ? e.details : []) {
			if (typeof d.field === 'string' && typeof d.problem === 'string') fields[d.field] = fields[d.field] ? `${fields[d.field]}; ${d.problem}` : d.problem;
		}
	}
	return { problem: message, fields };
}
