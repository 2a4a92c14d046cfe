/**
 * The console's system page: readiness, the worker kinds this process runs,
 * keyring use per key (`Signer.keyUsage`, signer/types.ts) and blockchain
 * anchoring (the anchor module's chain status).
 */
import { anchorRuntime, chainStatus, type AnchorRuntime } from '#lib/server/anchor';
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

async function chain(app: Container) {
	const { config, database, log } = app;
	let runtime: AnchorRuntime | null = null;
	try {
		runtime = await anchorRuntime(app);
	} catch (error) {
		// CHAIN=dev whose node cannot start: the card says the node is unreachable, the log says why
		log.warn({ err: error }, 'system page: the chain is not available');
	}
	const status = await chainStatus(database.db, runtime, {
		mode: config.CHAIN,
		confirmations: config.CHAIN_CONFIRMATIONS,
		explorerTemplate: config.CHAIN_EXPLORER_TX_URL,
		account: async () => (await app.signer()).chainAddress()
	});
	if (config.CHAIN !== 'noop' && !runtime) status.node.error ??= 'the chain is not available (see the log)';
	return status;
}

/** `buildKinds`: every worker kind of the build (src/jobs), so the page lists no kind the build lacks. */
export async function systemStatus(app: Container, buildKinds: readonly string[]) {
	const [ready, keys, chainState] = await Promise.all([readiness(app), keyUsage(app), chain(app)]);
	return { readiness: ready, workers: [...app.workerKinds], workerKinds: [...buildKinds], keys, chain: chainState };
}
