import { collectQueueMetrics } from '#lib/server/queue/metrics';
import { operation } from '#lib/server/route';
import { registry } from '#lib/server/telemetry/metrics';

/** Prometheus exposition: process metrics, request durations, queue depths and job outcomes. */
export const GET = operation('getMetrics', async ({ app }) => {
	await collectQueueMetrics(app.queue, app.log);
	return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
});
