import type { ResolvedConfig } from '#lib/server/config';
import { parseTokenKeys, type TokenKeyring } from './token-crypto';

/** Where the built-in dev realm lives under ORIGIN (Keycloak's `/realms/<name>` shape). */
export const DEV_REALM_PATH = '/realms/dev';

/** Platform admins of the dev realm's seed, added to ADMIN_BOOTSTRAP_EMAILS while it is in use (the seed's users live in idp/seed.ts). */
export const DEV_BOOTSTRAP_ADMINS = ['admin@wipecert.test'];

export type IdentitySettings = {
	/** true when OIDC_ISSUER is unset (never in production: the config refuses that) */
	devRealm: boolean;
	issuer: string;
	clientId: string;
	clientSecret: string;
	redirectUri: string;
	postLogoutRedirectUri: string;
	apiAudience: string;
	scopes: string[];
	tenantClaim: string;
	bootstrapEmails: string[];
	idleTimeoutMs: number;
	absoluteTimeoutMs: number;
	secureCookies: boolean;
	keyring: TokenKeyring;
};

const cache = new WeakMap<ResolvedConfig, IdentitySettings>();

/** The identity settings of this process, derived once from the resolved config. */
export function identitySettings(config: ResolvedConfig): IdentitySettings {
	let s = cache.get(config);
	if (s) return s;
	const devRealm = !config.OIDC_ISSUER && config.NODE_ENV !== 'production';
	const issuer = config.OIDC_ISSUER ? config.OIDC_ISSUER.replace(/\/$/, '') : `${config.origin}${DEV_REALM_PATH}`;
	const scopes = new Set(['openid', ...config.OIDC_SCOPES.split(' ')]);
	const bootstrap = config.ADMIN_BOOTSTRAP_EMAILS.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
	s = {
		devRealm,
		issuer,
		clientId: config.OIDC_CLIENT_ID,
		clientSecret: config.oidcClientSecret,
		redirectUri: `${config.origin}/auth/callback`,
		postLogoutRedirectUri: `${config.origin}/`,
		apiAudience: config.OIDC_API_AUDIENCE,
		scopes: [...scopes],
		tenantClaim: config.OIDC_TENANT_CLAIM,
		bootstrapEmails: devRealm ? [...bootstrap, ...DEV_BOOTSTRAP_ADMINS] : bootstrap,
		idleTimeoutMs: config.SESSION_IDLE_TIMEOUT * 1000,
		absoluteTimeoutMs: config.SESSION_ABSOLUTE_TIMEOUT * 1000,
		secureCookies: config.NODE_ENV === 'production' || config.origin.startsWith('https:'),
		keyring: parseTokenKeys(config.tokenEncryptionKeys)
	};
	cache.set(config, s);
	return s;
}
