import type { RequestEvent } from '@sveltejs/kit';
import { errors as joseErrors } from 'jose';
import type { ResolvedConfig } from '#lib/server/config';
import type { Db } from '#lib/server/db/client';
import { errorResponse } from '#lib/server/http/errors';
import { tenantIsActive } from '#lib/server/tenancy';
import type { Actor } from './guard';
import { verifyServiceToken } from './oidc';
import { actionsOf, isAction, type Role } from './policy';
import { refreshIfExpired } from './refresh';
import { activeServiceAccount } from './service-accounts';
import { deleteSessionTokenCookie, sessionCookieName, validateSessionToken } from './session';
import { identitySettings } from './settings';

/**
 * RFC 6750 §3: a refused bearer token answers 401 with WWW-Authenticate
 * (`invalid_token`), in the one error envelope. The reason stays in the log.
 */
function bearerRefused(event: RequestEvent, reason: string): Response {
	event.locals.log.info({ reason }, 'bearer token refused');
	return errorResponse('unauthenticated', event.locals.correlationId, {
		message: 'The bearer token is not valid here.',
		headers: { 'www-authenticate': 'Bearer error="invalid_token"' }
	});
}

function describe(error: unknown): string {
	if (error instanceof joseErrors.JOSEError) return error.code;
	return error instanceof Error ? error.message : 'unknown';
}

/**
 * Who is calling. API requests may present a service account's bearer JWT
 * (Authorization: Bearer); otherwise the session cookie counts. Returns a response only
 * when a presented bearer token is refused; an unknown or expired cookie just
 * leaves the caller anonymous (routes answer 401 themselves).
 */
export async function authenticate(event: RequestEvent, config: ResolvedConfig, db: Db): Promise<Response | null> {
	event.locals.actor = null;
	const settings = identitySettings(config);
	const authorization = event.request.headers.get('authorization');
	if (authorization !== null && event.url.pathname.startsWith('/api/')) {
		const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization);
		if (!m) return bearerRefused(event, 'not a bearer token');
		let verified;
		try {
			verified = await verifyServiceToken(settings, m[1]);
		} catch (error) {
			return bearerRefused(event, describe(error));
		}
		const account = await activeServiceAccount(db, verified.clientId);
		if (!account) return bearerRefused(event, 'client is not a registered service account');
		// The token may narrow the account's scopes, never widen them.
		const granted = account.scopes.filter(isAction);
		const asked = verified.scopes?.filter(isAction) ?? [];
		const scopes = asked.length ? granted.filter((s) => asked.includes(s)) : granted;
		const tenantSuspended = !(await tenantIsActive(db, account.tenantId));
		event.locals.actor = { kind: 'service', id: account.id, tenantId: account.tenantId, roles: [], scopes, displayName: account.name, tenantSuspended } satisfies Actor;
		return null;
	}
	const name = sessionCookieName(settings);
	const token = event.cookies.get(name);
	if (!token) return null;
	const valid = await validateSessionToken(db, token, settings);
	if (!valid) {
		deleteSessionTokenCookie(event.cookies, settings);
		return null;
	}
	const outcome = await refreshIfExpired(db, valid.session.id, settings, event.locals.log);
	if (outcome === 'ended') {
		deleteSessionTokenCookie(event.cookies, settings);
		return null;
	}
	const current = outcome === 'refreshed' ? await validateSessionToken(db, token, settings) : valid;
	if (!current) return null;
	const roles: Role[] = [];
	if (current.user.platformAdmin) roles.push('platform_admin');
	if (current.role) roles.push(current.role);
	event.locals.actor = {
		kind: 'user',
		id: current.user.id,
		tenantId: current.role ? current.session.tenantId : null,
		roles,
		scopes: actionsOf(roles),
		sessionId: current.session.id,
		displayName: current.user.displayName ?? current.user.email ?? undefined,
		tenantSuspended: current.tenantStatus === 'suspended'
	} satisfies Actor;
	return null;
}
