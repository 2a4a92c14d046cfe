import { json } from '@sveltejs/kit';
import { endSessions, identitySettings, listUserSessions, requireUser, revokeRefreshTokens } from '#lib/server/auth';
import { deleteSessionTokenCookie } from '#lib/server/auth/session';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import type { RequestHandler } from './$types';

/** GET /api/v1/sessions — my open sessions (x-wipecert-action: self). */
export const GET: RequestHandler = async (event) => {
	const actor = requireUser(event);
	const rows = await listUserSessions(platform().database.db, actor.id);
	return json(
		{
			items: rows.map((s) => ({ id: s.id, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, userAgent: s.userAgent, current: s.id === actor.sessionId })),
			nextCursor: null
		},
		{ headers: { 'cache-control': 'no-store' } }
	);
};

/** DELETE /api/v1/sessions — sign out everywhere, this session included; refresh tokens revoked at the IdP. */
export const DELETE: RequestHandler = async (event) => {
	const actor = requireUser(event);
	const { config, database } = platform();
	const settings = identitySettings(config);
	let revoke: string[] = [];
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest('sign-out-everywhere') }, async (tx) => {
		revoke = (await endSessions(tx, settings, actor.id, null, event.locals.log)).refreshTokens;
		return { status: 204, body: null };
	});
	await revokeRefreshTokens(settings, revoke, event.locals.log);
	deleteSessionTokenCookie(event.cookies, settings);
	return idempotentResponse(outcome);
};
