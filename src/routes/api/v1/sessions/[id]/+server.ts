import { endSessions, identitySettings, requireUser, revokeRefreshTokens } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';
import { hashRequest, idempotencyScope, idempotentResponse, runIdempotent } from '#lib/server/idempotency';
import { platform } from '#lib/server/platform';
import { zRevokeSessionPath } from '#lib/api/zod.gen';
import type { RequestHandler } from './$types';

/** DELETE /api/v1/sessions/{id} — end one of my sessions; anyone else's is 404. */
export const DELETE: RequestHandler = async (event) => {
	const actor = requireUser(event);
	const path = zRevokeSessionPath.safeParse(event.params);
	if (!path.success) throw new ApiError('not_found', 'No session of yours has this id.');
	const { config, database } = platform();
	const settings = identitySettings(config);
	let revoke: string[] = [];
	const outcome = await runIdempotent(database.db, event, { scope: idempotencyScope(actor), requestHash: hashRequest(path.data.id) }, async (tx) => {
		const ended = await endSessions(tx, settings, actor.id, path.data.id, event.locals.log);
		if (!ended.count) throw new ApiError('not_found', 'No session of yours has this id.');
		revoke = ended.refreshTokens;
		return { status: 204, body: null };
	});
	await revokeRefreshTokens(settings, revoke, event.locals.log);
	return idempotentResponse(outcome);
};
