import { anchorJob, anchorRuntime, anchorTick, enqueueCertificate, ensureAnchorSchedule, type AnchorDeps } from '#lib/server/anchor';
import { workerIdentity } from '#lib/server/proofs';
import type { JobModule } from '#lib/server/workers/runner';

/**
 * The anchor worker: `certificates.to_anchor` carries certificates the proof
 * worker issued (recorded as waiting, a wake-up scheduled) and wake-ups (one
 * pass: watch, submit, re-render). With CHAIN=noop it has nothing to do;
 * CHAIN=dev starts (or attaches to) the embedded node when the kind binds.
 */
export const anchorWorker: JobModule = {
	kind: 'anchor',
	async bind(app) {
		const { config, database, queue, storage, log } = app;
		const runtime = await anchorRuntime(app);
		if (!runtime) return { 'certificates.to_anchor': async () => ({ skipped: 'CHAIN=noop' }) };
		await ensureAnchorSchedule(queue);
		const signer = await app.signer();
		const deps: AnchorDeps = {
			db: database.db,
			queue,
			log: log.child({ worker: 'anchor', queue: 'certificates.to_anchor' }),
			client: runtime.client,
			signer,
			pdf: { db: database.db, storage, signer, origin: config.origin, tsaUrl: config.TSA_URL },
			settings: runtime.settings,
			actor: `worker:${workerIdentity()}`
		};
		return {
			'certificates.to_anchor': async (job) => {
				const data = anchorJob.parse(job.data);
				if ('certificateId' in data) return { certificate: await enqueueCertificate(deps.db, deps.queue, data.certificateId, { ...deps.settings, actor: deps.actor }) };
				return anchorTick(deps);
			}
		};
	}
};
