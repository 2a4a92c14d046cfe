import type { Handle } from '@sveltejs/kit/hooks';
import type { Container } from '#lib/server/container';
import { ApiError, errorResponse } from '#lib/server/http/errors';
import { ensureDevLicencePools } from '#lib/server/licences';
import { forwardToDevRealm, isDevRealmPath, startDevRealm } from './index';

/**
 * Start-up part of identity in the web entry: the dev realm and its seed (dev
 * tenants, service accounts, licence pools) when OIDC_ISSUER is unset (never
 * in production). The realm's server becomes part of the container and stops
 * with it.
 */
export async function startIdentity(app: Container): Promise<void> {
	const server = await startDevRealm(app.config, app.database.db, app.log);
	if (!server) return;
	await ensureDevLicencePools(app.database.db);
	app.devRealm = server;
	app.onStop(async () => {
		app.devRealm = null;
		await server.close();
	});
}

/** ORIGIN/realms/dev/* → the built-in dev identity provider. */
export const devRealm: Handle = async ({ event, resolve }) => {
	if (!isDevRealmPath(event.url.pathname)) return resolve(event);
	try {
		return await forwardToDevRealm(event);
	} catch (error) {
		if (error instanceof ApiError) {
			return errorResponse(error.code, event.locals.correlationId, { message: error.message, details: error.details, headers: error.headers });
		}
		throw error;
	}
};
