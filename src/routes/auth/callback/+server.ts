import { redirect } from '@sveltejs/kit';
import { completeSignIn, identitySettings } from '#lib/server/auth';
import { ApiError } from '#lib/server/http/errors';

import type { RequestHandler } from './$types';

/** The realm redirects here with `code` and `state`; on any problem the person lands on a page that says what to do. */
export const GET: RequestHandler = async (event) => {
	const { config, database } = event.locals.app;
	let destination: string;
	try {
		destination = await completeSignIn(event, database.db, identitySettings(config));
	} catch (error) {
		if (!(error instanceof ApiError)) throw error;
		event.locals.log.info({ code: error.code, reason: error.message }, 'sign-in failed');
		redirect(303, `/auth/problem?code=${error.code}`);
	}
	redirect(303, destination);
};
