import { ApiError } from '#lib/server/http/errors';
import type { RequestHandler } from './$types';

/** Any /ingest path without a route: 404 in the error envelope, whatever the method. */
export const fallback: RequestHandler = () => {
	throw new ApiError('not_found', 'No ingest route has this path.');
};
