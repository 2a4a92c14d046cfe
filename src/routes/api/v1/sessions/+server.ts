import { json } from '@sveltejs/kit';
import { endSessions, identitySettings, listUserSessions, requireUser, revokeRefreshTokens } from '#lib/server/auth';
import { deleteSessionTokenCookie } from '#lib/server/auth/session';
import { operation } from '#lib/server/route';

/** GET /api/v1/sessions — my open sessions. */
export const GET = operation('listSessions', async ({ app, event }) => {
	const actor = requireUser(event);
	const rows = await listUserSessions(app.database.db, actor.id);
	return json(
		{
			items: rows.map((s) => ({ id: s.id, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, userAgent: s.userAgent, current: s.id === actor.sessionId })),
			nextCursor: null
		},
		{ headers: { 'cache-control': 'no-store' } }
	);
});

/** DELETE /api/v1/sessions — sign out everywhere, this session included; refresh tokens revoked at the IdP. */
export const DELETE = operation('revokeAllSessions', async ({ app, event, actor, tx }) => {
	const settings = identitySettings(app.config);
	const ended = await endSessions(tx, settings, actor.id, null, event.locals.log);
	deleteSessionTokenCookie(event.cookies, settings);
	return { status: 204, body: null, afterCommit: () => revokeRefreshTokens(settings, ended.refreshTokens, event.locals.log) };
});
