import { endSessions, identitySettings, revokeRefreshTokens } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { operation } from '#lib/server/route';

const NOT_FOUND = 'No session of yours has this id.';

/** DELETE /api/v1/sessions/{id} — end one of my sessions; anyone else's is 404. */
export const DELETE = operation(
	'revokeSession',
	async ({ app, event, actor, params, tx }) => {
		const settings = identitySettings(app.config);
		const ended = await endSessions(tx, settings, actor.id, params.id, event.locals.log);
		if (!ended.count) throw new ApiError('not_found', NOT_FOUND);
		return { status: 204, body: null, afterCommit: () => revokeRefreshTokens(settings, ended.refreshTokens, event.locals.log) };
	},
	{ notFound: NOT_FOUND }
);
