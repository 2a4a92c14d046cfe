import { ApiError } from '#lib/server/http/errors';
import { inclusionProofFor } from '#lib/server/log';
import { operation } from '#lib/server/route';

/** GET /api/v1/log/proofs/inclusion?index=|leafHash=[&treeSize=] — RFC 9162 audit path. */
export const GET = operation('getLogInclusionProof', ({ app, query }) => {
	if ((query.index === undefined) === (query.leafHash === undefined)) throw new ApiError('bad_request', 'Give exactly one of index and leafHash.');
	return inclusionProofFor(app.database.db, query);
});
