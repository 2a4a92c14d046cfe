/**
 * The console's system page: readiness, the worker kinds this process runs,
 * and keyring use per key (`Signer.keyUsage`, signer/types.ts).
 */
import type { Container } from '#lib/server/container';
import { readiness } from '#lib/server/health';

async function keyUsage(app: Container) {
	try {
		return await (await app.signer()).keyUsage();
	} catch (error) {
		// A signer that cannot answer (remote signer down) shows as "unknown" on the page, not as a
		// broken page; the cause goes to the log so an operator can see why.
		app.log.warn({ err: error }, 'system page: the signer did not report key use');
		return null;
	}
}

export async function systemStatus(app: Container) {
	const [ready, keys] = await Promise.all([readiness(app), keyUsage(app)]);
	return { readiness: ready, workers: [...app.workerKinds], keys };
}
