import { collectQueueMetrics } from '#lib/server/telemetry/queue-metrics';
import { registry } from '#lib/server/telemetry/metrics';
import type { RequestHandler } from './$types';

/** Prometheus exposition: process metrics, request durations, queue depths and job outcomes. */
export const GET: RequestHandler = async () => {
	await collectQueueMetrics();
	return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
};
