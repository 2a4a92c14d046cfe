/**
 * The console's system page (issue 7 §4): readiness, the worker kinds this
 * process runs, and keyring use per key when the signer reports it
 * (`Signer.keyUsage`, signer/types.ts).
 */
import { readiness } from '#lib/server/health';
import { platform } from '#lib/server/platform';
import type { Signer } from '#lib/server/signer/types';

type KeyUsage = Awaited<ReturnType<Signer['keyUsage']>>;

// The signer module may not be in every build (it arrives with issue 5's crypto work):
// a glob finds it when present and is empty otherwise, instead of failing the build.
const signerModules = import.meta.glob<{ getSigner?: () => Signer | Promise<Signer> }>('../signer/index.ts');

async function keyUsage(): Promise<KeyUsage | null> {
	const load = Object.values(signerModules)[0];
	if (!load) return null;
	try {
		const mod = await load();
		if (typeof mod.getSigner !== 'function') return null;
		const signer = await mod.getSigner();
		return typeof signer.keyUsage === 'function' ? await signer.keyUsage() : null;
	} catch {
		// A signer that cannot answer (remote signer down) shows as "unknown", not as a broken page.
		return null;
	}
}

export async function systemStatus() {
	const [ready, keys] = await Promise.all([readiness(), keyUsage()]);
	return { readiness: ready, workers: [...platform().workerKinds], keys };
}
