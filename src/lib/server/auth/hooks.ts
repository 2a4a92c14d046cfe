import type { Handle } from '@sveltejs/kit/hooks';
import { platform } from '#lib/server/platform';
import { authenticate as authenticateRequest } from './authenticate';

/** Sets `event.locals.actor` from a service bearer token or the session cookie. */
export const authenticate: Handle = async ({ event, resolve }) => {
	const refused = await authenticateRequest(event, platform().config, platform().database.db);
	return refused ?? resolve(event);
};
