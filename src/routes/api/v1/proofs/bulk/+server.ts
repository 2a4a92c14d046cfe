import { join } from 'node:path';
import { idempotentResponse } from '#lib/server/idempotency';
import { submitBulk, submitContext } from '#lib/server/proofs';
import { operation } from '#lib/server/route';

/** POST /api/v1/proofs/bulk — many files (multipart) or one zip, streamed; a result per file. */
export const POST = operation('submitProofsBulk', async ({ app, event, actor, tenantId, scope }) => {
	const { config } = app;
	return idempotentResponse(
		await submitBulk(
			submitContext(app, app.database.db),
			event,
			{ tenantId, submitter: { kind: actor.kind, id: actor.id }, source: 'bulk', scope },
			{ proofMaxBytes: config.PROOF_MAX_BYTES, bulkMaxBytes: config.BULK_MAX_BYTES, concurrency: config.BULK_CONCURRENCY, tmpDir: join(config.dataDir, 'tmp') }
		)
	);
});
