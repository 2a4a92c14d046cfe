import { createHash, randomBytes } from 'node:crypto';
import type { Cookies } from '@sveltejs/kit';
import { and, desc, eq, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '#lib/server/db/client';
import { memberships, tenants, users } from '#lib/server/tenancy/schema';
import type { MembershipRole } from '#lib/server/tenancy';
import { oidcTokens, sessions, type Session } from './schema';
import type { IdentitySettings } from './settings';
import { encryptToken, type TokenKeyring } from './token-crypto';

/**
 * Sessions after Lucia's guide (https://lucia-auth.com/sessions/basic): a
 * random 256-bit token in an HttpOnly cookie; the table keeps only its
 * SHA-256, so reading the table does not give anyone a session.
 */
export const SESSION_COOKIE = 'wipecert_session';
/** `__Host-` (RFC 6265bis §4.1.3.2): Secure, Path=/, no Domain — only when the origin is https. */
export const sessionCookieName = (settings: Pick<IdentitySettings, 'secureCookies'>) => (settings.secureCookies ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE);

const LAST_SEEN_RESOLUTION_MS = 60_000;

export function generateSessionToken(): string {
	return randomBytes(32).toString('base64url');
}

export function sessionIdOf(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}

export type IdpTokens = { accessToken: string; accessTokenExpiresAt: Date; refreshToken: string | null; idToken: string | null };

/** Encrypts a session's IdP tokens; the associated data binds each to its session and field. */
export function sealTokens(ring: TokenKeyring, sessionId: string, t: IdpTokens) {
	const access = encryptToken(ring, t.accessToken, `${sessionId}:access`);
	return {
		sessionId,
		keyId: access.keyId,
		accessToken: access.data,
		refreshToken: t.refreshToken ? encryptToken(ring, t.refreshToken, `${sessionId}:refresh`).data : null,
		idToken: t.idToken ? encryptToken(ring, t.idToken, `${sessionId}:id`).data : null,
		accessTokenExpiresAt: t.accessTokenExpiresAt
	};
}

export async function createSession(
	db: DbOrTx,
	token: string,
	input: { userId: string; tenantId: string | null; userAgent: string | null; sourceIp: string | null; tokens: IdpTokens },
	settings: IdentitySettings
): Promise<Session> {
	const id = sessionIdOf(token);
	const now = new Date();
	const [session] = await db
		.insert(sessions)
		.values({
			id,
			userId: input.userId,
			tenantId: input.tenantId,
			createdAt: now,
			lastSeenAt: now,
			expiresAt: new Date(now.getTime() + settings.absoluteTimeoutMs),
			userAgent: input.userAgent?.slice(0, 300) ?? null,
			sourceIp: input.sourceIp
		})
		.returning();
	await db.insert(oidcTokens).values(sealTokens(settings.keyring, id, input.tokens));
	return session;
}

export type ValidatedSession = {
	session: Session;
	user: { id: string; email: string | null; displayName: string | null; platformAdmin: boolean };
	/** the role in `session.tenantId`; null when that membership is gone */
	role: MembershipRole | null;
	tenantSlug: string | null;
	tenantStatus: 'active' | 'suspended' | null;
};

/**
 * The session of a cookie token, or null when unknown, past its absolute end
 * or idle for longer than SESSION_IDLE_TIMEOUT (both end it). The role is read
 * on every request, so a removed membership takes effect at once.
 */
export async function validateSessionToken(db: Db, token: string, settings: IdentitySettings): Promise<ValidatedSession | null> {
	if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
	const id = sessionIdOf(token);
	const [row] = await db
		.select({
			session: sessions,
			user: { id: users.id, email: users.email, displayName: users.displayName, platformAdmin: users.platformAdmin },
			role: memberships.role,
			tenantSlug: tenants.slug,
			tenantStatus: tenants.status
		})
		.from(sessions)
		.innerJoin(users, eq(users.id, sessions.userId))
		.leftJoin(memberships, and(eq(memberships.userId, sessions.userId), eq(memberships.tenantId, sessions.tenantId)))
		.leftJoin(tenants, eq(tenants.id, memberships.tenantId))
		.where(eq(sessions.id, id));
	if (!row) return null;
	const now = Date.now();
	const { session } = row;
	if (session.expiresAt.getTime() <= now || session.lastSeenAt.getTime() + settings.idleTimeoutMs <= now) {
		await invalidateSession(db, id);
		return null;
	}
	if (now - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
		session.lastSeenAt = new Date(now);
		await db.update(sessions).set({ lastSeenAt: session.lastSeenAt }).where(eq(sessions.id, id));
	}
	return { session, user: row.user, role: row.role, tenantSlug: row.role ? row.tenantSlug : null, tenantStatus: row.role ? row.tenantStatus : null };
}

export async function invalidateSession(db: DbOrTx, sessionId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.id, sessionId));
}

export async function listUserSessions(db: Db, userId: string) {
	return db
		.select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt, userAgent: sessions.userAgent, sourceIp: sessions.sourceIp })
		.from(sessions)
		.where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)))
		.orderBy(desc(sessions.lastSeenAt));
}

export function setSessionTokenCookie(cookies: Cookies, token: string, expiresAt: Date, settings: IdentitySettings): void {
	cookies.set(sessionCookieName(settings), token, {
		httpOnly: true,
		sameSite: 'lax',
		secure: settings.secureCookies,
		path: '/',
		expires: expiresAt
	});
}

export function deleteSessionTokenCookie(cookies: Cookies, settings: IdentitySettings): void {
	cookies.delete(sessionCookieName(settings), { httpOnly: true, sameSite: 'lax', secure: settings.secureCookies, path: '/' });
}

/**
 * Maintenance: deletes sessions past their absolute end or idle for longer
 * than the idle timeout (validation already refuses them; this frees the rows
 * and their encrypted tokens). Returns how many went.
 */
export async function purgeExpiredSessions(db: DbOrTx, idleTimeoutMs: number): Promise<number> {
	const rows = await db
		.delete(sessions)
		.where(sql`${sessions.expiresAt} <= now() or ${sessions.lastSeenAt} <= now() - make_interval(secs => ${idleTimeoutMs / 1000})`)
		.returning({ id: sessions.id });
	return rows.length;
}
