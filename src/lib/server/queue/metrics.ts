import type { Logger } from '#lib/server/telemetry/logger';
import { queueDepth } from '#lib/server/telemetry/metrics';
import { queueDepths, type Queue } from './index';

/** Reads queue depths at scrape time; a failure is logged and leaves the last values. */
export async function collectQueueMetrics(queue: Queue, log: Logger): Promise<void> {
	try {
		for (const d of await queueDepths(queue)) {
			queueDepth.set({ queue: d.queue, state: 'queued' }, d.queued);
			queueDepth.set({ queue: d.queue, state: 'active' }, d.active);
			queueDepth.set({ queue: d.queue, state: 'failed' }, d.failed);
			queueDepth.set({ queue: d.queue, state: 'dead_letter' }, d.deadLetters);
		}
	} catch (error) {
		log.warn({ err: error }, 'queue metrics unavailable');
	}
}
