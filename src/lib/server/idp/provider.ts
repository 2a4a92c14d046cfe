import { createHmac } from 'node:crypto';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { ACTIONS } from '#lib/server/auth/policy';
import type { Db } from '#lib/server/db/client';
import type { DevAccounts } from './accounts';
import { postgresAdapterFactory } from './adapter';
import type { DevRealmJwks } from './keys';
import { messagePage, PAGE_CSP, signOutPage } from './pages';
import { API_RESOURCE, DEV_SERVICE_CLIENTS, DEV_SERVICE_SCOPES, OTHER_AUDIENCE, OTHER_RESOURCE } from './seed';

/** Keycloak's endpoint paths under a realm, so the app's code path is the same for both. */
export const KEYCLOAK_ROUTES = {
	authorization: '/protocol/openid-connect/auth',
	token: '/protocol/openid-connect/token',
	jwks: '/protocol/openid-connect/certs',
	userinfo: '/protocol/openid-connect/userinfo',
	end_session: '/protocol/openid-connect/logout',
	revocation: '/protocol/openid-connect/revoke',
	introspection: '/protocol/openid-connect/token/introspect'
} as const;

export type DevRealmOptions = {
	issuer: string;
	origin: string;
	db: Db;
	jwks: DevRealmJwks;
	accounts: DevAccounts;
	webClient: { id: string; secret: string };
	apiAudience: string;
	cookieSecret: string;
};

function html(ctx: KoaContextWithOIDC, body: string) {
	ctx.type = 'html';
	ctx.set('content-security-policy', PAGE_CSP);
	ctx.body = body;
}

/**
 * oidc-provider configured as a Keycloak-shaped realm: code flow
 * with PKCE (S256) required, refresh tokens for the web client, client
 * credentials with RFC 9068 JWT access tokens for the service clients.
 */
export function createDevRealm(opts: DevRealmOptions): Provider {
	const serviceScope = DEV_SERVICE_SCOPES.join(' ');
	const configuration: Configuration = {
		adapter: postgresAdapterFactory(opts.db),
		clients: [
			{
				client_id: opts.webClient.id,
				client_secret: opts.webClient.secret,
				redirect_uris: [`${opts.origin}/auth/callback`],
				post_logout_redirect_uris: [`${opts.origin}/`],
				grant_types: ['authorization_code', 'refresh_token'],
				response_types: ['code'],
				token_endpoint_auth_method: 'client_secret_basic'
			},
			...DEV_SERVICE_CLIENTS.map((c) => ({
				client_id: c.clientId,
				client_secret: c.secret,
				grant_types: ['client_credentials'],
				response_types: [],
				redirect_uris: [],
				scope: serviceScope,
				token_endpoint_auth_method: 'client_secret_basic' as const
			}))
		],
		// client_secret_post too: Keycloak accepts both, and curl examples use it.
		clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
		jwks: opts.jwks,
		cookies: {
			keys: [createHmac('sha256', opts.cookieSecret).update('wipecert dev realm cookies').digest('base64url')],
			long: { httpOnly: true, sameSite: 'lax' },
			short: { httpOnly: true, sameSite: 'lax' }
		},
		routes: KEYCLOAK_ROUTES,
		scopes: ['openid', 'offline_access', 'profile', 'email', ...ACTIONS],
		claims: {
			openid: ['sub'],
			email: ['email', 'email_verified'],
			// Keycloak puts groups in tokens through a mapper on a default client scope; here they ride with `profile`.
			profile: ['name', 'preferred_username', 'groups']
		},
		// Keycloak puts the scope claims into the ID token of the code flow too.
		conformIdTokenClaims: false,
		pkce: { required: () => true },
		// Code flow only (no implicit or hybrid), as the BFF uses it.
		responseTypes: ['code'],
		features: {
			devInteractions: { enabled: false },
			clientCredentials: { enabled: true },
			revocation: { enabled: true },
			introspection: { enabled: true },
			userinfo: { enabled: true },
			rpInitiatedLogout: {
				enabled: true,
				logoutSource: async (ctx, form) => html(ctx, signOutPage(form)),
				postLogoutSuccessSource: async (ctx) => html(ctx, messagePage('Signed out', 'You are signed out of the dev realm.'))
			},
			resourceIndicators: {
				enabled: true,
				// Service tokens are for the API by default; the web client's tokens stay opaque (userinfo).
				defaultResource: async (ctx, _client, oneOf) =>
					oneOf ?? (ctx.oidc.params?.grant_type === 'client_credentials' ? API_RESOURCE : undefined),
				useGrantedResource: async () => false,
				getResourceServerInfo: async (_ctx, resource) => {
					if (resource === API_RESOURCE) return { scope: ACTIONS.join(' '), audience: opts.apiAudience, accessTokenFormat: 'jwt', accessTokenTTL: 300 };
					if (resource === OTHER_RESOURCE) return { scope: ACTIONS.join(' '), audience: OTHER_AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 300 };
					throw new errors.InvalidTarget();
				}
			}
		},
		interactions: { url: async (_ctx, interaction) => `${new URL(opts.issuer).pathname}/interaction/${interaction.uid}` },
		findAccount: async (_ctx, sub) => {
			const account = opts.accounts.bySubject(sub);
			if (!account) return undefined;
			return {
				accountId: sub,
				claims: async () => ({
					sub,
					email: account.email,
					email_verified: true,
					name: account.name,
					preferred_username: account.email,
					groups: [...account.groups]
				})
			};
		},
		// First-party clients only: no consent screen (Keycloak's "Consent required: off").
		loadExistingGrant: async (ctx) => {
			const { client, session } = ctx.oidc;
			if (!client || !session?.accountId) return undefined;
			const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
			const grant = (grantId && (await ctx.oidc.provider.Grant.find(grantId))) || new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
			grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
			await grant.save();
			return grant;
		},
		issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
		ttl: {
			AccessToken: 300,
			AuthorizationCode: 60,
			ClientCredentials: 300,
			IdToken: 300,
			Interaction: 600,
			RefreshToken: 24 * 3600,
			Session: 24 * 3600,
			Grant: 24 * 3600
		},
		renderError: async (ctx, out) => {
			html(ctx, messagePage('Something went wrong', String(out.error_description ?? out.error ?? 'error')));
		}
	};
	const provider = new Provider(opts.issuer, configuration);
	// Behind our own handle, which sets X-Forwarded-Host/Proto from ORIGIN.
	provider.proxy = true;
	return provider;
}
