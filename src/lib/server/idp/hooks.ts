import type { Handle } from '@sveltejs/kit/hooks';
import type { ResolvedConfig } from '#lib/server/config';
import { ApiError, errorResponse } from '#lib/server/http/errors';
import { platform } from '#lib/server/platform';
import type { Logger } from '#lib/server/telemetry/logger';
import { forwardToDevRealm, isDevRealmPath, startDevRealm, stopDevRealm } from './index';

/** Start-up part of identity: the dev realm and its seed when OIDC_ISSUER is unset (never in production). */
export async function startIdentity(config: ResolvedConfig, log: Logger): Promise<void> {
	// Only the full web entry serves the realm; `ingest` runs with a role that may not write these tables.
	if ((process.env.WIPECERT_ENTRY ?? 'web') !== 'web') return;
	await startDevRealm(config, platform().database.db, log);
}

export const stopIdentity = stopDevRealm;

/** ORIGIN/realms/dev/* → the built-in dev identity provider (issue 4 §1). */
export const devRealm: Handle = async ({ event, resolve }) => {
	if (!isDevRealmPath(event.url.pathname)) return resolve(event);
	try {
		return await forwardToDevRealm(event, platform().config);
	} catch (error) {
		if (error instanceof ApiError) {
			return errorResponse(error.code, event.locals.correlationId, { message: error.message, details: error.details, headers: error.headers });
		}
		throw error;
	}
};
