import { platform, platformStarted } from '#lib/server/platform';
import { queueDepths } from '#lib/server/queue';
import { logger } from './logger';
import { queueDepth } from './metrics';

/** Reads queue depths at scrape time; a failure is logged and leaves the last values. */
export async function collectQueueMetrics(): Promise<void> {
	if (!platformStarted()) return;
	try {
		for (const d of await queueDepths(platform().queue)) {
			queueDepth.set({ queue: d.queue, state: 'queued' }, d.queued);
			queueDepth.set({ queue: d.queue, state: 'active' }, d.active);
			queueDepth.set({ queue: d.queue, state: 'failed' }, d.failed);
			queueDepth.set({ queue: d.queue, state: 'dead_letter' }, d.deadLetters);
		}
	} catch (error) {
		logger.warn({ err: error }, 'queue metrics unavailable');
	}
}
