import { OAuth2RequestError } from 'arctic';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '#lib/server/db/client';
import { upsertUserFromClaims } from '#lib/server/tenancy';
import type { Logger } from '#lib/server/telemetry/logger';
import { keycloakClient, verifyIdToken } from './oidc';
import { oidcTokens, sessions } from './schema';
import { sealTokens } from './session';
import type { IdentitySettings } from './settings';
import { decryptToken } from './token-crypto';

/** Refresh this long before the access token runs out, so it is never used expired. */
const EARLY_MS = 15_000;

export type RefreshOutcome = 'fresh' | 'refreshed' | 'busy' | 'ended' | 'unavailable';

/**
 * Keeps a session's IdP tokens current ("refreshed when
 * expired"). The row is locked (SKIP LOCKED) so two requests never redeem the
 * same refresh token — a second use of a rotated token makes the IdP revoke
 * the grant (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). When the IdP refuses
 * (`invalid_grant`: signed out or disabled there) the session ends here too.
 * A refreshed ID token brings the current groups, so role changes at the IdP
 * apply within one access-token lifetime.
 */
export async function refreshIfExpired(db: Db, sessionId: string, settings: IdentitySettings, log: Logger): Promise<RefreshOutcome> {
	const [peek] = await db.select({ at: oidcTokens.accessTokenExpiresAt }).from(oidcTokens).where(eq(oidcTokens.sessionId, sessionId));
	if (!peek || peek.at.getTime() - EARLY_MS > Date.now()) return 'fresh';
	return db.transaction(async (tx) => {
		const [row] = await tx
			.select()
			.from(oidcTokens)
			.where(eq(oidcTokens.sessionId, sessionId))
			.for('update', { skipLocked: true });
		if (!row) return 'busy';
		if (row.accessTokenExpiresAt.getTime() - EARLY_MS > Date.now()) return 'fresh';
		if (!row.refreshToken) return 'fresh';
		let refreshToken: string;
		try {
			refreshToken = decryptToken(settings.keyring, row.keyId, row.refreshToken, `${sessionId}:refresh`);
		} catch (error) {
			// Its key was removed from TOKEN_ENCRYPTION_KEYS (or the row was altered): the person signs in again.
			log.warn({ err: error, keyId: row.keyId }, 'stored tokens cannot be decrypted; ending the session');
			await tx.delete(sessions).where(eq(sessions.id, sessionId));
			return 'ended';
		}
		let tokens;
		try {
			tokens = await keycloakClient(settings).refreshAccessToken(refreshToken);
		} catch (error) {
			if (error instanceof OAuth2RequestError) {
				log.info({ code: error.code }, 'IdP refused the refresh token; ending the session');
				await tx.delete(sessions).where(eq(sessions.id, sessionId));
				return 'ended';
			}
			log.warn({ err: error }, 'token refresh failed; the session continues and retries');
			return 'unavailable';
		}
		const idToken = 'id_token' in tokens.data ? tokens.idToken() : null;
		if (idToken) {
			const identity = await verifyIdToken(settings, idToken, null);
			await upsertUserFromClaims(tx, { issuer: settings.issuer, ...identity }, settings.bootstrapEmails);
		}
		const sealed = sealTokens(settings.keyring, sessionId, {
			accessToken: tokens.accessToken(),
			accessTokenExpiresAt: tokens.accessTokenExpiresAt(),
			refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : refreshToken,
			idToken: idToken ?? (row.idToken ? decryptToken(settings.keyring, row.keyId, row.idToken, `${sessionId}:id`) : null)
		});
		await tx
			.update(oidcTokens)
			.set({ ...sealed, refreshedAt: sql`now()` })
			.where(eq(oidcTokens.sessionId, sessionId));
		return 'refreshed';
	});
}

/** The session's tokens in clear, for sign-out (revocation, id_token_hint). */
export async function openTokens(db: Db, sessionId: string, settings: IdentitySettings) {
	const [row] = await db.select().from(oidcTokens).where(eq(oidcTokens.sessionId, sessionId));
	if (!row) return null;
	return {
		refreshToken: row.refreshToken ? decryptToken(settings.keyring, row.keyId, row.refreshToken, `${sessionId}:refresh`) : null,
		idToken: row.idToken ? decryptToken(settings.keyring, row.keyId, row.idToken, `${sessionId}:id`) : null
	};
}
