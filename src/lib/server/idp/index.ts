import { randomUUID } from 'node:crypto';
import type { RequestEvent } from '@sveltejs/kit';
import { recordAudit } from '#lib/server/audit';
import { DEV_REALM_PATH, identitySettings } from '#lib/server/auth/settings';
import { ensureServiceAccount } from '#lib/server/auth/service-accounts';
import type { ResolvedConfig } from '#lib/server/config';
import type { Db } from '#lib/server/db/client';
import { readBodyLimited } from '#lib/server/http/body';
import { ApiError, errorResponse } from '#lib/server/http/errors';
import { IDP_FORM_MAX_BYTES } from '#lib/server/http/limits';
import { enforceRateLimit, requestClientAddress } from '#lib/server/ratelimit';
import { ensureDevTenants } from '#lib/server/tenancy';
import type { Logger } from '#lib/server/telemetry/logger';
import { DevAccounts } from './accounts';
import { purgeExpiredArtifacts } from './adapter';
import { loadOrCreateRealmKeys } from './keys';
import { messagePage, PAGE_CSP } from './pages';
import { createDevRealm, KEYCLOAK_ROUTES } from './provider';
import { DEV_SERVICE_CLIENTS, DEV_SERVICE_SCOPES } from './seed';
import { listenDevRealm, type DevRealmServer } from './server';

export { DEV_USERS, DEV_PASSWORD, DEV_SERVICE_CLIENTS } from './seed';
export { purgeExpiredArtifacts } from './adapter';

/**
 * Starts the built-in dev realm (embedded/dev mode only: OIDC_ISSUER unset,
 * never with NODE_ENV=production) and the dev seed it needs: tenants acme
 * and globex and the two automation clients as service accounts. Null when
 * the settings name a real identity provider.
 */
export async function startDevRealm(config: ResolvedConfig, db: Db, log: Logger): Promise<DevRealmServer | null> {
	const ids = identitySettings(config);
	if (!ids.devRealm) return null;
	const tenants = await ensureDevTenants(db);
	for (const c of DEV_SERVICE_CLIENTS) {
		await ensureServiceAccount(db, { clientId: c.clientId, tenantId: tenants[c.tenant], name: c.name, scopes: DEV_SERVICE_SCOPES });
	}
	await purgeExpiredArtifacts(db);
	const accounts = new DevAccounts();
	const jwks = await loadOrCreateRealmKeys(config.dataDir);
	const makeProvider = () => {
		const provider = createDevRealm({
			issuer: ids.issuer,
			origin: config.origin,
			db,
			jwks,
			accounts,
			webClient: { id: ids.clientId, secret: ids.clientSecret },
			apiAudience: ids.apiAudience,
			cookieSecret: config.sessionSecret
		});
		provider.on('server_error', (_ctx, err) => log.error({ err }, 'dev realm error'));
		return provider;
	};
	// a refused password is a failed sign-in of the platform (Keycloak keeps its own events in production)
	const onRefused = async (email: string | null) => {
		await db.transaction((tx) =>
			recordAudit(tx, { actor: null, tenantId: null, action: 'auth.sign_in', target: 'sign_in:dev_realm', result: 'failure', correlationId: randomUUID(), sourceIp: null, details: { reason: 'wrong e-mail address or password', email } })
		);
	};
	const server = await listenDevRealm(makeProvider, accounts, DEV_REALM_PATH, log.child({ component: 'dev-realm' }), onRefused);
	log.info({ issuer: ids.issuer }, 'dev identity provider ready (development only)');
	return server;
}

export const isDevRealmPath = (pathname: string) => pathname === DEV_REALM_PATH || pathname.startsWith(`${DEV_REALM_PATH}/`);

/**
 * The path the realm serves, spelled one way: percent-decoded, repeated and
 * trailing slashes and dot segments (RFC 3986 §5.2.4) removed. It is what is
 * forwarded and what the rate limits match (lower-cased, as the realm's
 * router ignores case), so `…/token/`, `…//token` or `…/Token` count as
 * `…/token`. Null when the path does not decode.
 */
export function canonicalRealmPath(pathname: string): string | null {
	let decoded: string;
	try {
		decoded = decodeURIComponent(pathname);
	} catch {
		return null;
	}
	if (/[\x00-\x1f\\]/.test(decoded)) return null;
	const out: string[] = [];
	for (const segment of decoded.split('/')) {
		if (segment === '' || segment === '.') continue;
		if (segment === '..') out.pop();
		else out.push(segment);
	}
	return `/${out.map((s) => encodeURIComponent(s)).join('/')}`;
}

const TOKEN_ROUTES = [KEYCLOAK_ROUTES.token, KEYCLOAK_ROUTES.introspection, KEYCLOAK_ROUTES.revocation].map((r) => `${DEV_REALM_PATH}${r}`.toLowerCase());

/** Which rate limit a realm request counts against: password attempts, or token/introspection/revocation calls. */
export function realmRateLimit(method: string, canonical: string): 'signin' | 'token' | null {
	if (method !== 'POST') return null;
	const path = canonical.toLowerCase();
	if (/^\/realms\/dev\/interaction\/[^/]+\/login$/.test(path)) return 'signin';
	return TOKEN_ROUTES.includes(path) ? 'token' : null;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host', 'accept-encoding'];

/**
 * Forwards ORIGIN/realms/dev/* to the realm's loopback port: method, headers,
 * body, and X-Forwarded-Host/Proto from ORIGIN so the issuer and every URL the
 * realm prints are the public ones. Sign-in and token requests are rate limited.
 */
export async function forwardToDevRealm(event: RequestEvent): Promise<Response> {
	const { config, devRealm: running } = event.locals.app;
	if (!running) return errorResponse('not_found', event.locals.correlationId, { message: 'No dev identity provider runs here.' });
	const { request, url } = event;
	const path = canonicalRealmPath(url.pathname);
	if (!path || !isDevRealmPath(path)) return errorResponse('not_found', event.locals.correlationId);
	const bucket = realmRateLimit(request.method, path);
	if (bucket === 'signin') {
		// Password attempts: the brute-force surface. A person gets a page, not JSON.
		try {
			await enforceRateLimit(event, 'signin');
		} catch (error) {
			if (!(error instanceof ApiError) || error.code !== 'rate_limited') throw error;
			return new Response(messagePage('Too many attempts', 'Too many sign-in attempts from your address. Wait a minute, then try again.'), {
				status: 429,
				headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, ...error.headers }
			});
		}
	} else if (bucket === 'token') await enforceRateLimit(event, 'token');
	const headers = new Headers();
	for (const [name, value] of request.headers) if (!HOP_BY_HOP.includes(name) && !name.startsWith('x-forwarded-')) headers.set(name, value);
	const origin = new URL(config.origin);
	headers.set('x-forwarded-host', origin.host);
	headers.set('x-forwarded-proto', origin.protocol.replace(':', ''));
	headers.set('x-forwarded-for', requestClientAddress(event));
	headers.set('accept-encoding', 'identity');
	// read with its cap as it arrives (Content-Length first): never the whole of an oversized body
	const body = request.method !== 'GET' && request.method !== 'HEAD' ? await readBodyLimited(request, IDP_FORM_MAX_BYTES) : undefined;
	const upstream = await fetch(`http://127.0.0.1:${running.port}${path}${url.search}`, {
		method: request.method,
		headers,
		body,
		redirect: 'manual'
	});
	const out = new Headers();
	for (const [name, value] of upstream.headers) if (!HOP_BY_HOP.includes(name) && name !== 'content-length' && name !== 'set-cookie') out.set(name, value);
	for (const cookie of upstream.headers.getSetCookie()) out.append('set-cookie', cookie);
	return new Response(request.method === 'HEAD' ? null : upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
