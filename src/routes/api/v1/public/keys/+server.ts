import { json } from '@sveltejs/kit';
import { operation } from '#lib/server/route';
import { VERIFIER_PATH, verifierFile } from '#lib/server/verification/verifier-file';

/** GET /api/v1/public/keys — what an offline verifier trusts, the log's witnesses and the standalone verifier's hash. */
export const GET = operation('getPublicKeys', async ({ app }) =>
	json(
		{
			...(await (await app.signer()).publicKeys()),
			logWitnesses: app.config.LOG_WITNESSES.map((w) => ({ name: w.vkey.split('+')[0], vkey: w.vkey })),
			verifier: { url: `${app.config.origin}${VERIFIER_PATH}`, sha256: verifierFile().sha256 }
		},
		{ headers: { 'cache-control': 'public, max-age=300' } }
	)
);
