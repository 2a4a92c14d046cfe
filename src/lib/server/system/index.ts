/**
 * The console's system page (issue 7 §4): readiness, the worker kinds this
 * process runs, and keyring use per key (`Signer.keyUsage`, signer/types.ts).
 */
import { readiness } from '#lib/server/health';
import { platform } from '#lib/server/platform';
import { getSigner } from '#lib/server/signer';
import type { Signer } from '#lib/server/signer/types';

type KeyUsage = Awaited<ReturnType<Signer['keyUsage']>>;

async function keyUsage(): Promise<KeyUsage | null> {
	try {
		return await (await getSigner()).keyUsage();
	} catch (error) {
		// A signer that cannot answer (remote signer down) shows as "unknown" on the page, not as a
		// broken page; the cause goes to the log so an operator can see why.
		platform().log.warn({ err: error }, 'system page: the signer did not report key use');
		return null;
	}
}

export async function systemStatus() {
	const [ready, keys] = await Promise.all([readiness(), keyUsage()]);
	return { readiness: ready, workers: [...platform().workerKinds], keys };
}
