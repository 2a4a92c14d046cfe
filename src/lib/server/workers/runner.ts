import type { Job } from 'pg-boss';
import type { Container } from '#lib/server/container';
import type { Queue, QueueName, WorkerKind } from '#lib/server/queue';
import type { Logger } from '#lib/server/telemetry/logger';
import { jobOutcomes } from '#lib/server/telemetry/metrics';

/** What a worker kind handles: one function per queue, one job at a time. */
export type JobHandler = (job: Job<unknown>) => Promise<unknown>;
export type JobHandlers = Partial<Record<QueueName, JobHandler>>;

/** What the build ships, passed to every kind when it binds (a kind may act on which others exist). */
export type BuildInfo = { kinds: readonly WorkerKind[] };

export type JobModule = {
	kind: WorkerKind;
	/**
	 * Binds the kind to a running container, once per process (long-running or
	 * WORKER_ONCE): creates its schedules and per-process state, and returns its
	 * handler per queue. The container is the handlers' only way to a service.
	 */
	bind(app: Container, build: BuildInfo): Promise<JobHandlers>;
};

async function runOne(queueName: QueueName, handler: JobHandler, job: Job<unknown>, log: Logger) {
	const started = performance.now();
	try {
		const output = await handler(job);
		jobOutcomes.inc({ queue: queueName, outcome: 'completed' });
		log.info({ queue: queueName, jobId: job.id, ms: Math.round(performance.now() - started) }, 'job completed');
		return output;
	} catch (error) {
		jobOutcomes.inc({ queue: queueName, outcome: 'failed' });
		log.warn({ queue: queueName, jobId: job.id, retryCount: job.retryCount, err: error }, 'job failed');
		throw error;
	}
}

/**
 * Long-running workers: pg-boss claims with SKIP LOCKED, so any number of
 * processes may run the same kind. Stopping goes through `queue.stop`, which
 * lets in-flight jobs finish and, past the shutdown timeout, fails them back to
 * `retry` so another worker takes them up (nothing is lost).
 */
export async function startWorkers(app: Container, modules: JobModule[], build: BuildInfo) {
	for (const mod of modules) {
		await workOn(app.queue, mod.kind, await mod.bind(app, build), { concurrency: app.config.WORKER_CONCURRENCY, log: app.log });
		app.workerKinds.push(mod.kind);
	}
}

/** Registers one kind's handlers with pg-boss: one job at a time per handler, `concurrency` of them side by side. */
export async function workOn(queue: Queue, kind: WorkerKind, handlers: JobHandlers, opts: { concurrency: number; log: Logger }) {
	const log = opts.log.child({ worker: kind });
	for (const [name, handler] of Object.entries(handlers) as [QueueName, JobHandler][]) {
		await queue.boss.work<unknown>(name, { batchSize: 1, localConcurrency: opts.concurrency, pollingIntervalSeconds: 1 }, async ([job]) => runOne(name, handler, job, log));
		log.info({ queue: name, concurrency: opts.concurrency }, 'worker started');
	}
}

/** WORKER_ONCE=true: one claim pass over the kind's queues, then return. */
export async function runOnce(app: Container, mod: JobModule, build: BuildInfo) {
	let handled = 0;
	const handlers = await mod.bind(app, build);
	const log = app.log.child({ worker: mod.kind });
	for (const [name, handler] of Object.entries(handlers) as [QueueName, JobHandler][]) {
		const jobs = await app.queue.boss.fetch<unknown>(name, { batchSize: app.config.WORKER_CONCURRENCY });
		for (const job of jobs) {
			try {
				const output = await runOne(name, handler, job, log);
				await app.queue.boss.complete(name, job.id, output && typeof output === 'object' ? output : null);
			} catch (error) {
				await app.queue.boss.fail(name, job.id, { message: (error as Error).message });
			}
			handled++;
		}
	}
	return handled;
}
