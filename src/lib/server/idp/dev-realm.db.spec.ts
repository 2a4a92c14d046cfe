import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCodeVerifier, generateState, KeyCloak } from 'arctic';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyIdToken, verifyServiceToken } from '#lib/server/auth/oidc';
import type { IdentitySettings } from '#lib/server/auth/settings';
import { parseTokenKeys } from '#lib/server/auth/token-crypto';
import { createLogger } from '#lib/server/telemetry/logger';
import { browse, clientCredentials, CookieJar, submitDevRealmSignIn } from '../../../../tests/helpers/oidc-browser';
import { createTestDatabase } from '../../../../tests/helpers/db';
import { DevAccounts } from './accounts';
import { loadOrCreateRealmKeys } from './keys';
import { createDevRealm } from './provider';
import { listenDevRealm, type DevRealmServer } from './server';

/** The dev realm as a real OIDC provider on a loopback port, driven over HTTP. */
const APP = 'http://app.test';
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let realm: DevRealmServer;
let dataDir: string;
let settings: IdentitySettings;

beforeAll(async () => {
	db = await createTestDatabase();
	dataDir = mkdtempSync(join(tmpdir(), 'wipecert-realm-'));
	const jwks = await loadOrCreateRealmKeys(dataDir);
	const accounts = new DevAccounts();
	let issuer = '';
	realm = await listenDevRealm(
		(port) => {
			issuer = `http://127.0.0.1:${port}/realms/dev`;
			return createDevRealm({ issuer, origin: APP, db: db.database.db, jwks, accounts, webClient: { id: 'wipecert-web', secret: 'web-secret-0123456789' }, apiAudience: 'wipecert-api', cookieSecret: 'x'.repeat(32) });
		},
		accounts,
		'/realms/dev',
		createLogger('silent')
	);
	settings = {
		devRealm: true,
		issuer,
		clientId: 'wipecert-web',
		clientSecret: 'web-secret-0123456789',
		redirectUri: `${APP}/auth/callback`,
		postLogoutRedirectUri: `${APP}/`,
		apiAudience: 'wipecert-api',
		scopes: ['openid', 'profile', 'email'],
		tenantClaim: 'groups',
		bootstrapEmails: [],
		idleTimeoutMs: 1800_000,
		absoluteTimeoutMs: 43200_000,
		secureCookies: false,
		keyring: parseTokenKeys(`k1:${Buffer.alloc(32, 1).toString('base64')}`)
	};
});

afterAll(async () => {
	await realm?.close();
	await db?.drop();
	rmSync(dataDir, { recursive: true, force: true });
});

const token = () => `${settings.issuer}/protocol/openid-connect/token`;

describe('dev realm (Keycloak-shaped oidc-provider)', () => {
	it('publishes discovery with the exact issuer and Keycloak endpoint paths', async () => {
		const d = await (await fetch(`${settings.issuer}/.well-known/openid-configuration`)).json();
		expect(d.issuer).toBe(settings.issuer);
		for (const [key, path] of [
			['authorization_endpoint', 'auth'],
			['token_endpoint', 'token'],
			['jwks_uri', 'certs'],
			['userinfo_endpoint', 'userinfo'],
			['end_session_endpoint', 'logout']
		]) {
			expect(d[key]).toBe(`${settings.issuer}/protocol/openid-connect/${path}`);
		}
		expect(d.code_challenge_methods_supported).toEqual(['S256']);
		const certs = await (await fetch(d.jwks_uri)).json();
		expect(certs.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
		expect(certs.keys[0].d).toBeUndefined();
	});

	it('signs a person in with PKCE through its own page; ID token verifies with nonce and groups; refresh works', async () => {
		const kc = new KeyCloak(settings.issuer, settings.clientId, settings.clientSecret, settings.redirectUri);
		const state = generateState();
		const verifier = generateCodeVerifier();
		const nonce = generateState();
		const url = kc.createAuthorizationURL(state, verifier, ['openid', 'profile', 'email']);
		url.searchParams.set('nonce', nonce);
		const jar = new CookieJar();
		const page = await browse(jar, url.toString());
		expect(page.response.status).toBe(200);
		expect(page.body).toContain('<label for="username">');
		expect(page.response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

		const wrong = await submitDevRealmSignIn(jar, page, 'operator@acme.test', 'not-the-password');
		expect(wrong.response.status).toBe(401);
		expect(wrong.body).toContain('role="alert"');

		const back = await submitDevRealmSignIn(jar, wrong, 'operator@acme.test', 'dev-password', (u) => u.startsWith(APP));
		const cb = new URL(back.url);
		expect(cb.searchParams.get('state')).toBe(state);
		const tokens = await kc.validateAuthorizationCode(cb.searchParams.get('code')!, verifier);
		expect(tokens.hasRefreshToken()).toBe(true);
		const identity = await verifyIdToken(settings, tokens.idToken(), nonce);
		expect(identity).toMatchObject({ email: 'operator@acme.test', emailVerified: true, tenantRoles: [{ slug: 'acme', role: 'operator' }] });
		await expect(verifyIdToken(settings, tokens.idToken(), 'another-nonce')).rejects.toThrow(/nonce/);

		const refreshed = await kc.refreshAccessToken(tokens.refreshToken());
		expect(refreshed.accessToken()).not.toBe(tokens.accessToken());
		const again = await verifyIdToken(settings, refreshed.idToken(), null);
		expect(again.subject).toBe(identity.subject);

		const userinfo = await (await fetch(`${settings.issuer}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${refreshed.accessToken()}` } })).json();
		expect(userinfo.groups).toEqual(['/tenants/acme/operator']);
	});

	it('refuses an authorization request without PKCE', async () => {
		const u = new URL(`${settings.issuer}/protocol/openid-connect/auth`);
		u.search = new URLSearchParams({ client_id: 'wipecert-web', response_type: 'code', scope: 'openid', redirect_uri: settings.redirectUri, state: 's' }).toString();
		const hop = await browse(new CookieJar(), u.toString(), { stop: (x) => x.startsWith(APP) });
		const error = new URL(hop.url).searchParams.get('error');
		expect(error).toBe('invalid_request');
	});

	it('issues client-credentials JWTs for the API audience that verify; other audiences, alg none and foreign keys do not', async () => {
		const ok = await clientCredentials(token(), 'acme-automation', 'dev-acme-secret');
		expect(ok.status).toBe(200);
		const { access_token } = await ok.json();
		const verified = await verifyServiceToken(settings, access_token);
		expect(verified.clientId).toBe('acme-automation');

		const scoped = await (await clientCredentials(token(), 'acme-automation', 'dev-acme-secret', { scope: 'proofs:write' })).json();
		expect((await verifyServiceToken(settings, scoped.access_token)).scopes).toEqual(['proofs:write']);

		expect((await clientCredentials(token(), 'acme-automation', 'wrong-secret')).status).toBe(401);
		const notAllowed = await clientCredentials(token(), 'acme-automation', 'dev-acme-secret', { scope: 'admin:tenants' });
		expect(notAllowed.status).toBe(400);

		const other = await (await clientCredentials(token(), 'acme-automation', 'dev-acme-secret', { resource: 'urn:example:other-api' })).json();
		await expect(verifyServiceToken(settings, other.access_token)).rejects.toThrow(/aud/);

		const claims = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString());
		const none = new UnsecuredJWT(claims).encode();
		await expect(verifyServiceToken(settings, none)).rejects.toThrow();
		const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('guessable-secret-guessable-secret'));
		await expect(verifyServiceToken(settings, forged)).rejects.toThrow();
		// Same header as a real token (kid, RS256) but a body that was changed: the signature fails.
		const [h, , s] = access_token.split('.');
		const tampered = `${h}.${base64url.encode(JSON.stringify({ ...claims, client_id: 'globex-automation' }))}.${s}`;
		await expect(verifyServiceToken(settings, tampered)).rejects.toThrow(/signature/);
	});
});
