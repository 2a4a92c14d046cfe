import { SpanKind } from '@opentelemetry/api';
import type { Job } from 'pg-boss';
import { z } from 'zod';
import type { Container } from '#lib/server/container';
import { TRACE_FIELD, type Queue, type QueueName, type WorkerKind } from '#lib/server/queue';
import type { Logger } from '#lib/server/telemetry/logger';
import { jobDuration, jobOutcomes } from '#lib/server/telemetry/metrics';
import { contextFrom, withSpan } from '#lib/server/telemetry/tracing';

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

const carrierOf = z.object({ [TRACE_FIELD]: z.record(z.string(), z.string()) });

/**
 * One job in a CONSUMER span (OpenTelemetry messaging conventions) whose
 * parent is the trace context the sender put into the job data: the request
 * that caused the job and the job's own work land in one trace.
 */
function runOne(kind: WorkerKind, queueName: QueueName, handler: JobHandler, job: Job<unknown>, log: Logger) {
	const started = performance.now();
	const carrier = carrierOf.safeParse(job.data);
	const attributes = { 'messaging.system': 'pg-boss', 'messaging.destination.name': queueName, 'messaging.operation.type': 'process', 'messaging.message.id': job.id, 'wipecert.worker.kind': kind, 'wipecert.job.retry_count': job.retryCount ?? 0 };
	return withSpan(
		`process ${queueName}`,
		attributes,
		async () => {
			try {
				const output = await handler(job);
				jobOutcomes.inc({ queue: queueName, outcome: 'completed' });
				jobDuration.observe({ kind, queue: queueName, outcome: 'completed' }, (performance.now() - started) / 1000);
				log.info({ queue: queueName, jobId: job.id, ms: Math.round(performance.now() - started) }, 'job completed');
				return output;
			} catch (error) {
				jobOutcomes.inc({ queue: queueName, outcome: 'failed' });
				jobDuration.observe({ kind, queue: queueName, outcome: 'failed' }, (performance.now() - started) / 1000);
				log.warn({ queue: queueName, jobId: job.id, retryCount: job.retryCount, err: error }, 'job failed');
				throw error;
			}
		},
		{ kind: SpanKind.CONSUMER, parent: carrier.success ? contextFrom(carrier.data[TRACE_FIELD]) : undefined }
	);
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
		await queue.boss.work<unknown>(name, { batchSize: 1, localConcurrency: opts.concurrency, pollingIntervalSeconds: 1 }, async ([job]) => runOne(kind, name, handler, job, log));
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
				const output = await runOne(mod.kind, name, handler, job, log);
				await app.queue.boss.complete(name, job.id, output && typeof output === 'object' ? output : null);
			} catch (error) {
				await app.queue.boss.fail(name, job.id, { message: (error as Error).message });
			}
			handled++;
		}
	}
	return handled;
}
