/**
 * The Keycloak realm export of a compose/Kubernetes deployment, generated
 * from the built-in dev realm's definition (src/lib/server/idp/seed.ts and
 * the membership roles), so the two never drift: the same web client
 * (code flow, PKCE S256, confidential), the same group-membership mapper
 * (`groups`, full path), the same tenant/role groups, the same service
 * clients with the API audience mapper and the actions as optional scopes,
 * the same people — without passwords (Keycloak asks each to set one).
 * Secrets and the public origin are `${VAR}` placeholders Keycloak resolves
 * from its environment at import (server guide: importing a realm).
 *
 *   npm run gen:realm     rewrites deploy/keycloak/wipecert-realm.json
 */
import { ACTIONS } from '#lib/server/auth/policy';
import { settings } from '#lib/server/config/schema';
import { DEV_SERVICE_CLIENTS, DEV_SERVICE_SCOPES, DEV_USERS } from '#lib/server/idp/seed';
import { MEMBERSHIP_ROLES } from '#lib/server/tenancy/schema';

export const REALM = 'wipecert';
/** environment variables of the keycloak service the placeholders name */
export const REALM_PLACEHOLDERS = ['WIPECERT_ORIGIN', 'OIDC_CLIENT_SECRET'] as const;

const WEB_CLIENT = settings.OIDC_CLIENT_ID.doc.default;
const API_AUDIENCE = settings.OIDC_API_AUDIENCE.doc.default;
const GROUP_CLAIM = settings.OIDC_TENANT_CLAIM.doc.default;

const groupsMapper = {
	name: 'groups',
	protocol: 'openid-connect',
	protocolMapper: 'oidc-group-membership-mapper',
	consentRequired: false,
	config: { 'full.path': 'true', 'id.token.claim': 'true', 'access.token.claim': 'true', 'userinfo.token.claim': 'true', 'claim.name': GROUP_CLAIM }
};

const audienceMapper = {
	name: 'api-audience',
	protocol: 'openid-connect',
	protocolMapper: 'oidc-audience-mapper',
	consentRequired: false,
	config: { 'included.custom.audience': API_AUDIENCE, 'id.token.claim': 'false', 'access.token.claim': 'true' }
};

export function buildRealm() {
	// the dev realm's tenants: those its people and service clients belong to
	const tenants = [...new Set([...DEV_USERS.flatMap((u) => u.groups.map((g) => g.split('/')[2])), ...DEV_SERVICE_CLIENTS.map((c) => c.tenant)])].sort();
	return {
		realm: REALM,
		enabled: true,
		displayName: 'WipeCert',
		sslRequired: 'external',
		registrationAllowed: false,
		loginWithEmailAllowed: true,
		duplicateEmailsAllowed: false,
		verifyEmail: false,
		// WipeCert's defaults: access tokens of 5 minutes, SSO idle ≥ SESSION_IDLE_TIMEOUT, max ≥ SESSION_ABSOLUTE_TIMEOUT
		accessTokenLifespan: 300,
		ssoSessionIdleTimeout: Number(settings.SESSION_IDLE_TIMEOUT.doc.default),
		ssoSessionMaxLifespan: Number(settings.SESSION_ABSOLUTE_TIMEOUT.doc.default),
		groups: [
			{
				name: 'tenants',
				path: '/tenants',
				subGroups: tenants.map((t) => ({
					name: t,
					path: `/tenants/${t}`,
					subGroups: MEMBERSHIP_ROLES.map((r) => ({ name: r, path: `/tenants/${t}/${r}`, subGroups: [] }))
				}))
			}
		],
		clientScopes: ACTIONS.map((a) => ({ name: a, protocol: 'openid-connect', attributes: { 'include.in.token.scope': 'true', 'display.on.consent.screen': 'false' } })),
		clients: [
			{
				clientId: WEB_CLIENT,
				name: 'WipeCert web app',
				enabled: true,
				protocol: 'openid-connect',
				publicClient: false,
				clientAuthenticatorType: 'client-secret',
				secret: '${OIDC_CLIENT_SECRET}',
				standardFlowEnabled: true,
				implicitFlowEnabled: false,
				directAccessGrantsEnabled: false,
				serviceAccountsEnabled: false,
				consentRequired: false,
				redirectUris: ['${WIPECERT_ORIGIN}/auth/callback'],
				webOrigins: ['${WIPECERT_ORIGIN}'],
				attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '${WIPECERT_ORIGIN}/' },
				defaultClientScopes: ['openid', 'profile', 'email'],
				optionalClientScopes: ['offline_access'],
				protocolMappers: [groupsMapper]
			},
			...DEV_SERVICE_CLIENTS.map((c) => ({
				clientId: c.clientId,
				name: c.name,
				description: `Service account of tenant ${c.tenant}; register it in WipeCert under Tenants → ${c.tenant}. Keycloak generates its secret.`,
				enabled: true,
				protocol: 'openid-connect',
				publicClient: false,
				clientAuthenticatorType: 'client-secret',
				standardFlowEnabled: false,
				implicitFlowEnabled: false,
				directAccessGrantsEnabled: false,
				serviceAccountsEnabled: true,
				consentRequired: false,
				defaultClientScopes: [],
				optionalClientScopes: [...DEV_SERVICE_SCOPES],
				protocolMappers: [audienceMapper]
			}))
		],
		users: DEV_USERS.map((u) => ({
			username: u.email,
			email: u.email,
			emailVerified: true,
			enabled: true,
			firstName: u.name.split(' ')[0],
			lastName: u.name.split(' ').slice(1).join(' '),
			// no credentials: each person sets a password at the first sign-in
			requiredActions: ['UPDATE_PASSWORD'],
			groups: [...u.groups]
		}))
	};
}

export const realmJson = () => JSON.stringify(buildRealm(), null, '\t') + '\n';
