import { redirect } from '@sveltejs/kit';
import { identitySettings, signOut } from '#lib/server/auth';

import type { RequestHandler } from './$types';

/**
 * Sign-out is a POST (a cross-site GET must not sign anyone out; the origin
 * check in hooks covers it): the session ends here, then at the IdP.
 */
export const POST: RequestHandler = async (event) => {
	const { config, database } = event.locals.app;
	const settings = identitySettings(config);
	// The realm's end-session endpoint, or our own origin when it has none.
	redirect(303, await signOut(event, database.db, settings), { external: [new URL(settings.issuer).origin, config.origin] });
};
