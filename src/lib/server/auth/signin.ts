import { timingSafeEqual } from 'node:crypto';
import type { Cookies, RequestEvent } from '@sveltejs/kit';
import { generateCodeVerifier, generateState, OAuth2RequestError } from 'arctic';
import { recordAudit } from '#lib/server/audit';
import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import { requestClientAddress } from '#lib/server/ratelimit';
import { membershipsOf, upsertUserFromClaims } from '#lib/server/tenancy';
import type { Logger } from '#lib/server/telemetry/logger';
import { discover, keycloakClient, verifyIdToken } from './oidc';
import { openTokens } from './refresh';
import { oidcTokens, sessions } from './schema';
import { createSession, deleteSessionTokenCookie, generateSessionToken, invalidateSession, setSessionTokenCookie } from './session';
import type { IdentitySettings } from './settings';
import { decryptToken } from './token-crypto';

/**
 * Authorization code flow with PKCE through the BFF (OAuth 2.0
 * Security BCP, RFC 9700 §2.1.1): state, nonce and the PKCE verifier live in
 * short-lived HttpOnly cookies scoped to /auth; the browser never sees a token.
 */
const FLOW_COOKIES = { state: 'wipecert_oauth_state', verifier: 'wipecert_oauth_verifier', nonce: 'wipecert_oauth_nonce', returnTo: 'wipecert_oauth_return' } as const;
const FLOW_TTL_SECONDS = 600;

function flowCookieOptions(settings: IdentitySettings) {
	return { httpOnly: true, sameSite: 'lax' as const, secure: settings.secureCookies, path: '/auth', maxAge: FLOW_TTL_SECONDS };
}

/** Only a local path may be a post-sign-in destination (no open redirect). */
export function safeReturnTo(value: string | null): string {
	if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/auth/')) return '/';
	// a TAB, CR or LF cannot go into the Location header (the callback answered 500 after a good sign-in)
	if (value.length > 2048 || /[\x00-\x1f\x7f\\]/.test(value)) return '/';
	return value;
}

export function beginSignIn(cookies: Cookies, settings: IdentitySettings, returnTo: string | null): URL {
	const state = generateState();
	const verifier = generateCodeVerifier();
	const nonce = generateState();
	const url = keycloakClient(settings).createAuthorizationURL(state, verifier, settings.scopes);
	url.searchParams.set('nonce', nonce);
	const opts = flowCookieOptions(settings);
	cookies.set(FLOW_COOKIES.state, state, opts);
	cookies.set(FLOW_COOKIES.verifier, verifier, opts);
	cookies.set(FLOW_COOKIES.nonce, nonce, opts);
	cookies.set(FLOW_COOKIES.returnTo, safeReturnTo(returnTo), opts);
	return url;
}

function sameString(a: string, b: string): boolean {
	const x = Buffer.from(a);
	const y = Buffer.from(b);
	return x.length === y.length && timingSafeEqual(x, y);
}

function clearFlow(cookies: Cookies, settings: IdentitySettings) {
	for (const name of Object.values(FLOW_COOKIES)) cookies.delete(name, { path: '/auth', secure: settings.secureCookies, httpOnly: true, sameSite: 'lax' });
}

/**
 * The callback: state checked, code exchanged (with the PKCE verifier), ID
 * token verified (signature, iss, aud, exp, nonce), the person and their
 * memberships updated from the claims, a session created with the tokens
 * sealed, and the sign-in audited — in one transaction.
 */
export async function completeSignIn(event: RequestEvent, db: Db, settings: IdentitySettings): Promise<string> {
	try {
		return await finishSignIn(event, db, settings);
	} catch (error) {
		if (error instanceof ApiError) await recordSignInFailure(event, db, error);
		throw error;
	}
}

/**
 * A sign-in that failed at the callback leaves an audit row on the platform
 * chain (`auth.sign_in`, failure) with the reason shown to the person; never
 * a code, token or cookie. Who it was is unknown at this point.
 */
async function recordSignInFailure(event: RequestEvent, db: Db, error: ApiError): Promise<void> {
	try {
		await db.transaction((tx) =>
			recordAudit(tx, {
				actor: null,
				tenantId: null,
				action: 'auth.sign_in',
				target: 'sign_in:callback',
				result: 'failure',
				correlationId: event.locals.correlationId,
				sourceIp: requestClientAddress(event),
				details: { code: error.code, reason: error.message }
			})
		);
	} catch (failure) {
		event.locals.log.error({ err: failure }, 'the failed sign-in could not be audited');
	}
}

async function finishSignIn(event: RequestEvent, db: Db, settings: IdentitySettings): Promise<string> {
	const { url, cookies } = event;
	const state = cookies.get(FLOW_COOKIES.state);
	const verifier = cookies.get(FLOW_COOKIES.verifier);
	const nonce = cookies.get(FLOW_COOKIES.nonce);
	const returnTo = safeReturnTo(cookies.get(FLOW_COOKIES.returnTo) ?? null);
	clearFlow(cookies, settings);
	const idpError = url.searchParams.get('error');
	if (idpError) throw new ApiError('unauthenticated', idpError === 'access_denied' ? 'Sign-in was cancelled.' : 'The identity provider refused the sign-in.');
	const code = url.searchParams.get('code');
	const given = url.searchParams.get('state');
	if (!state || !verifier || !nonce) throw new ApiError('bad_request', 'This sign-in took too long or was started elsewhere; sign in again.');
	if (!code || !given || !sameString(given, state)) throw new ApiError('bad_request', 'The sign-in response does not match this browser; sign in again.');
	let tokens;
	try {
		tokens = await keycloakClient(settings).validateAuthorizationCode(code, verifier);
	} catch (error) {
		if (error instanceof OAuth2RequestError) throw new ApiError('unauthenticated', 'The identity provider refused the sign-in code; sign in again.');
		throw new ApiError('service_unavailable', 'The identity provider could not be reached.');
	}
	let identity;
	try {
		identity = await verifyIdToken(settings, tokens.idToken(), nonce);
	} catch (error) {
		event.locals.log.warn({ err: error }, 'ID token refused');
		throw new ApiError('unauthenticated', 'The identity provider’s answer could not be verified.');
	}
	const token = generateSessionToken();
	// A new sign-in never continues an old session (session fixation, OWASP ASVS V3.2.1).
	const previous = event.locals.actor?.kind === 'user' ? event.locals.actor.sessionId : undefined;
	const session = await db.transaction(async (tx) => {
		if (previous) await invalidateSession(tx, previous);
		const user = await upsertUserFromClaims(tx, { issuer: settings.issuer, ...identity }, settings.bootstrapEmails);
		const [first] = await membershipsOf(tx, user.id);
		const created = await createSession(
			tx,
			token,
			{
				userId: user.id,
				tenantId: first?.tenantId ?? null,
				userAgent: event.request.headers.get('user-agent'),
				sourceIp: requestClientAddress(event),
				tokens: {
					accessToken: tokens.accessToken(),
					accessTokenExpiresAt: tokens.accessTokenExpiresAt(),
					refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : null,
					idToken: tokens.idToken()
				}
			},
			settings
		);
		await recordAudit(tx, {
			actor: { kind: 'user', id: user.id, role: user.platformAdmin ? 'platform_admin' : (first?.role ?? 'none') },
			tenantId: first?.tenantId ?? null,
			action: 'auth.sign_in',
			target: `user:${user.id}`,
			result: 'success',
			correlationId: event.locals.correlationId,
			sourceIp: requestClientAddress(event)
		});
		return created;
	});
	setSessionTokenCookie(cookies, token, session.expiresAt, settings);
	return returnTo;
}

/**
 * Ends the session here and at the IdP (OpenID RP-Initiated Logout 1.0): the
 * refresh token is revoked server-side (RFC 7009), then the browser goes to
 * the end-session endpoint with `client_id` — never a token in the URL — and
 * comes back to ORIGIN/.
 */
export async function signOut(event: RequestEvent, db: Db, settings: IdentitySettings): Promise<string> {
	const actor = event.locals.actor;
	deleteSessionTokenCookie(event.cookies, settings);
	let endSession = settings.postLogoutRedirectUri;
	try {
		const discovery = await discover(settings);
		if (discovery.end_session_endpoint) {
			const u = new URL(discovery.end_session_endpoint);
			u.searchParams.set('client_id', settings.clientId);
			u.searchParams.set('post_logout_redirect_uri', settings.postLogoutRedirectUri);
			endSession = u.toString();
		}
	} catch (error) {
		event.locals.log.warn({ err: error }, 'OIDC discovery failed at sign-out; signing out locally only');
	}
	if (actor?.kind !== 'user' || !actor.sessionId) return endSession;
	const tokens = await openTokens(db, actor.sessionId, settings).catch(() => null);
	await invalidateSession(db, actor.sessionId);
	if (tokens?.refreshToken) {
		await keycloakClient(settings)
			.revokeToken(tokens.refreshToken)
			.catch((error: unknown) => event.locals.log.warn({ err: error }, 'refresh token revocation failed'));
	}
	return endSession;
}

/**
 * Ends sessions of one person (all, or one of theirs) in the caller's
 * transaction; returns how many ended (0: none of theirs had that id) and
 * their refresh tokens, for `revokeRefreshTokens` once the transaction has
 * committed.
 */
export async function endSessions(tx: Tx, settings: IdentitySettings, userId: string, only: string | null, log: Logger): Promise<{ count: number; refreshTokens: string[] }> {
	const mine = only ? and(eq(sessions.userId, userId), eq(sessions.id, only)) : eq(sessions.userId, userId);
	// The token rows go with the sessions (ON DELETE CASCADE): read them first.
	const tokens = await tx
		.select({ sessionId: oidcTokens.sessionId, keyId: oidcTokens.keyId, refreshToken: oidcTokens.refreshToken })
		.from(oidcTokens)
		.innerJoin(sessions, eq(sessions.id, oidcTokens.sessionId))
		.where(mine);
	const rows = await tx.delete(sessions).where(mine).returning({ id: sessions.id });
	const refreshTokens = tokens.flatMap((t) => {
		if (!t.refreshToken) return [];
		try {
			return [decryptToken(settings.keyring, t.keyId, t.refreshToken, `${t.sessionId}:refresh`)];
		} catch (error) {
			log.warn({ err: error }, 'a stored refresh token could not be decrypted; not revoked');
			return [];
		}
	});
	return { count: rows.length, refreshTokens };
}

/** Revokes refresh tokens at the IdP (RFC 7009), so a copied one is useless too; failures are logged, not fatal. */
export async function revokeRefreshTokens(settings: IdentitySettings, tokens: string[], log: Logger): Promise<void> {
	const client = keycloakClient(settings);
	await Promise.all(tokens.map((t) => client.revokeToken(t).catch((error: unknown) => log.warn({ err: error }, 'refresh token revocation failed'))));
}
