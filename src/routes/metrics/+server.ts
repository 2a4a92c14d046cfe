import { collectAnchorMetrics } from '#lib/server/anchor';
import { collectQueueMetrics } from '#lib/server/queue/metrics';
import { operation } from '#lib/server/route';
import { registry } from '#lib/server/telemetry/metrics';
import { collectPlatformMetrics } from '#lib/server/telemetry/platform-metrics';

/** Prometheus exposition: process metrics, request durations, queues, jobs, the platform-wide gauges and anchoring. */
export const GET = operation('getMetrics', async ({ app }) => {
	await Promise.all([collectQueueMetrics(app.queue, app.log), collectPlatformMetrics(app), app.config.CHAIN !== 'noop' ? collectAnchorMetrics(app.database.db, app.log) : null]);
	return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
});
