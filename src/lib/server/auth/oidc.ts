import { KeyCloak } from 'arctic';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { MembershipRole } from '#lib/server/tenancy';
import type { IdentitySettings } from './settings';

/**
 * The OIDC relying-party side, the same for the dev realm and a production
 * Keycloak realm ("nothing in the app knows which it talks to").
 * arctic builds the requests; jose verifies every JWT against the realm's JWKS
 * (arctic's `decodeIdToken` does not verify).
 */

/** Asymmetric algorithms only (RFC 8725 §3.1): `none` and HMAC are refused. */
export const ALLOWED_ALGORITHMS = ['RS256', 'PS256', 'ES256'];

const discoverySchema = z.object({
	issuer: z.string(),
	jwks_uri: z.url(),
	token_endpoint: z.url(),
	end_session_endpoint: z.url().optional(),
	revocation_endpoint: z.url().optional()
});
export type Discovery = z.infer<typeof discoverySchema>;

type RealmClient = {
	settings: IdentitySettings;
	keycloak: KeyCloak;
	discovery?: { value: Discovery; at: number };
	jwks?: ReturnType<typeof createRemoteJWKSet>;
};

const DISCOVERY_TTL_MS = 10 * 60 * 1000;
const clients = new WeakMap<IdentitySettings, RealmClient>();

function realm(settings: IdentitySettings): RealmClient {
	let c = clients.get(settings);
	if (!c) {
		c = { settings, keycloak: new KeyCloak(settings.issuer, settings.clientId, settings.clientSecret, settings.redirectUri) };
		clients.set(settings, c);
	}
	return c;
}

export function keycloakClient(settings: IdentitySettings): KeyCloak {
	return realm(settings).keycloak;
}

/** The realm's discovery document (OIDC Discovery 1.0 §4), cached; its issuer must be ours (§4.3). */
export async function discover(settings: IdentitySettings): Promise<Discovery> {
	const c = realm(settings);
	if (c.discovery && Date.now() - c.discovery.at < DISCOVERY_TTL_MS) return c.discovery.value;
	const response = await fetch(`${settings.issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
	if (!response.ok) throw new Error(`OIDC discovery at ${settings.issuer} answered ${response.status}`);
	const value = discoverySchema.parse(await response.json());
	if (value.issuer !== settings.issuer) throw new Error(`OIDC discovery names issuer ${value.issuer}, expected ${settings.issuer}`);
	c.discovery = { value, at: Date.now() };
	return value;
}

async function jwks(settings: IdentitySettings) {
	const c = realm(settings);
	if (!c.jwks) {
		const { jwks_uri } = await discover(settings);
		// jose re-fetches on an unknown kid (key rotation at the IdP), at most every 30 s.
		c.jwks = createRemoteJWKSet(new URL(jwks_uri), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
	}
	return c.jwks;
}

const stringList = z.union([z.array(z.string()), z.string().transform((s) => [s])]);

export const idTokenClaimsSchema = z.object({
	sub: z.string().min(1),
	email: z.string().optional(),
	email_verified: z.boolean().optional(),
	name: z.string().optional(),
	preferred_username: z.string().optional(),
	nonce: z.string().optional()
});

export type VerifiedIdentity = {
	subject: string;
	email: string | null;
	emailVerified: boolean;
	displayName: string | null;
	tenantRoles: { slug: string; role: MembershipRole }[];
};

const GROUP_PATH = /^\/tenants\/([a-z0-9][a-z0-9-]{1,62})\/(tenant_admin|operator|viewer)$/;

/** `/tenants/<slug>/<role>` group paths → tenant roles; anything else is ignored. */
export function tenantRolesFromClaim(value: unknown): VerifiedIdentity['tenantRoles'] {
	const parsed = stringList.safeParse(value);
	if (!parsed.success) return [];
	const out: VerifiedIdentity['tenantRoles'] = [];
	for (const path of parsed.data) {
		const m = GROUP_PATH.exec(path);
		if (m) out.push({ slug: m[1], role: m[2] as MembershipRole });
	}
	return out;
}

/**
 * Verifies an ID token (OIDC Core §3.1.3.7): signature against the JWKS,
 * `iss`, `aud` = our client id, `exp`/`iat`, and `nonce` when one was sent
 * (a refreshed ID token carries none, §12.2).
 */
export async function verifyIdToken(settings: IdentitySettings, idToken: string, expectedNonce: string | null): Promise<VerifiedIdentity> {
	const { payload } = await jwtVerify(idToken, await jwks(settings), {
		issuer: settings.issuer,
		audience: settings.clientId,
		algorithms: ALLOWED_ALGORITHMS,
		requiredClaims: ['exp', 'iat', 'sub']
	});
	const claims = idTokenClaimsSchema.parse(payload);
	if (expectedNonce !== null && claims.nonce !== expectedNonce) throw new Error('ID token nonce does not match');
	if (payload.azp !== undefined && payload.azp !== settings.clientId) throw new Error('ID token azp is another client');
	return {
		subject: claims.sub,
		email: claims.email ?? null,
		emailVerified: claims.email_verified ?? false,
		displayName: claims.name ?? claims.preferred_username ?? null,
		tenantRoles: tenantRolesFromClaim(payload[settings.tenantClaim])
	};
}

const accessTokenClaimsSchema = z.object({
	client_id: z.string().optional(),
	azp: z.string().optional(),
	scope: z.string().optional(),
	exp: z.number()
});

export type VerifiedServiceToken = { clientId: string; scopes: string[] | null; payload: JWTPayload };

/**
 * Verifies a service account's bearer JWT (RFC 9068 / Keycloak access token):
 * signature against the JWKS with the algorithm allow-list, `iss`, `aud` =
 * OIDC_API_AUDIENCE and `exp`. The client is `client_id` (RFC 9068 §2.2) or
 * Keycloak's `azp`.
 */
export async function verifyServiceToken(settings: IdentitySettings, token: string): Promise<VerifiedServiceToken> {
	const { payload } = await jwtVerify(token, await jwks(settings), {
		issuer: settings.issuer,
		audience: settings.apiAudience,
		algorithms: ALLOWED_ALGORITHMS,
		requiredClaims: ['exp']
	});
	const claims = accessTokenClaimsSchema.parse(payload);
	const clientId = claims.client_id ?? claims.azp;
	if (!clientId) throw new Error('access token names no client (client_id/azp)');
	return { clientId, scopes: claims.scope === undefined ? null : claims.scope.split(' ').filter(Boolean), payload };
}
