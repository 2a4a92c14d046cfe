import { buildInfo } from '#lib/server/buildinfo';
import { ApiError } from '#lib/server/http/errors';
import { idempotentResponse } from '#lib/server/idempotency';
import { attestingName, importNwipeLogs, readNwipeUpload, submitContext } from '#lib/server/proofs';
import { operation } from '#lib/server/route';

/** POST /api/v1/proofs/nwipe-logs — nwipe logs → operator-attested proofs, one per drive (a signed-in person only). */
export const POST = operation('importNwipeLogs', async ({ app, event, actor, tenantId, scope }) => {
	// the operation accepts service tokens for proofs:write elsewhere; attesting is a person's act
	if (actor.kind !== 'user') {
		throw new ApiError('unauthenticated', 'An nwipe log is attested by a signed-in person: upload it in the dashboard. Service accounts submit agent-signed proofs.');
	}
	const { config } = app;
	// held in memory while read (nwipe logs are kilobytes): at most 100 files of PROOF_MAX_BYTES each
	const maxFiles = 100;
	const upload = await readNwipeUpload(event.request, { fileMaxBytes: config.PROOF_MAX_BYTES, totalMaxBytes: Math.min(config.BULK_MAX_BYTES, maxFiles * config.PROOF_MAX_BYTES), maxFiles });
	return idempotentResponse(
		await importNwipeLogs(
			submitContext(app, app.database.db),
			event,
			{ tenantId, user: { id: actor.id, name: attestingName(actor.displayName, `operator ${actor.id.slice(0, 8)}`) }, scope, software: { name: 'WipeCert nwipe log import', version: buildInfo.version } },
			upload
		)
	);
});
