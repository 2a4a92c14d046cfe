import type { Handle } from '@sveltejs/kit/hooks';
import { authenticate as authenticateRequest } from './authenticate';

/** Sets `event.locals.actor` from a service bearer token or the session cookie. */
export const authenticate: Handle = async ({ event, resolve }) => {
	const { config, database } = event.locals.app;
	const refused = await authenticateRequest(event, config, database.db);
	return refused ?? resolve(event);
};
