import type { Job } from 'pg-boss';
import type { Queue, QueueName, WorkerKind } from '#lib/server/queue';
import type { Logger } from '#lib/server/telemetry/logger';
import { jobOutcomes } from '#lib/server/telemetry/metrics';

/** What a worker kind handles: one function per queue, one job at a time. */
export type JobHandler = (job: Job<unknown>) => Promise<unknown>;
export type JobModule = {
	kind: WorkerKind;
	handlers: Partial<Record<QueueName, JobHandler>>;
	/** runs once when the kind starts in a process (long-running or WORKER_ONCE), e.g. to create its schedules */
	start?: () => Promise<void>;
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
export async function startWorkers(queue: Queue, modules: JobModule[], opts: { concurrency: number; log: Logger }) {
	for (const mod of modules) {
		await mod.start?.();
		for (const [name, handler] of Object.entries(mod.handlers) as [QueueName, JobHandler][]) {
			const log = opts.log.child({ worker: mod.kind });
			await queue.boss.work<unknown>(
				name,
				{ batchSize: 1, localConcurrency: opts.concurrency, pollingIntervalSeconds: 1 },
				async ([job]) => runOne(name, handler, job, log)
			);
			log.info({ queue: name, concurrency: opts.concurrency }, 'worker started');
		}
	}
}

/** WORKER_ONCE=true: one claim pass over the kind's queues, then return. */
export async function runOnce(queue: Queue, mod: JobModule, opts: { batchSize: number; log: Logger }) {
	let handled = 0;
	await mod.start?.();
	for (const [name, handler] of Object.entries(mod.handlers) as [QueueName, JobHandler][]) {
		const jobs = await queue.boss.fetch<unknown>(name, { batchSize: opts.batchSize });
		for (const job of jobs) {
			try {
				const output = await runOne(name, handler, job, opts.log);
				await queue.boss.complete(name, job.id, output && typeof output === 'object' ? output : null);
			} catch (error) {
				await queue.boss.fail(name, job.id, { message: (error as Error).message });
			}
			handled++;
		}
	}
	return handled;
}
