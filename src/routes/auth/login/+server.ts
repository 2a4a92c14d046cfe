import { redirect } from '@sveltejs/kit';
import { beginSignIn, identitySettings } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';

import { enforceRateLimit } from '#lib/server/ratelimit';
import type { RequestHandler } from './$types';

/**
 * Starts sign-in: code flow with PKCE at the realm's authorization endpoint.
 * On another host name than ORIGIN it first moves there, so the flow cookies
 * and the callback share one origin.
 */
export const GET: RequestHandler = async (event) => {
	const { config } = event.locals.app;
	// Compare hosts only: adapter-node guesses the protocol of event.url (https unless PROTOCOL_HEADER).
	if (event.url.host !== new URL(config.origin).host) redirect(307, `${config.origin}${event.url.pathname}${event.url.search}`, { external: [config.origin] });
	try {
		// Starting a flow is cheap but sets cookies; the password check itself is the `signin` bucket.
		await enforceRateLimit(event, 'signin_start');
	} catch (error) {
		if (error instanceof ApiError && error.code === 'rate_limited') redirect(303, '/auth/problem?code=rate_limited');
		throw error;
	}
	const settings = identitySettings(config);
	const url = beginSignIn(event.cookies, settings, event.url.searchParams.get('returnTo'));
	// Only the configured realm is a permitted external destination.
	redirect(302, url.toString(), { external: [new URL(settings.issuer).origin] });
};
