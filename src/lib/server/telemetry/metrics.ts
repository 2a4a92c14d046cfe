import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; `/metrics` serialises it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'wipecert_' });

export const httpDuration = new Histogram({
	name: 'wipecert_http_request_duration_seconds',
	help: 'HTTP request duration by route id, method and status',
	labelNames: ['route', 'method', 'status'] as const,
	buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
	registers: [registry]
});

export const jobOutcomes = new Counter({
	name: 'wipecert_jobs_total',
	help: 'Jobs handled by this process, by queue and outcome (completed, failed, released)',
	labelNames: ['queue', 'outcome'] as const,
	registers: [registry]
});

export const queueDepth = new Gauge({
	name: 'wipecert_queue_jobs',
	help: 'Jobs per queue and state (queued, active, failed, dead_letter), read at scrape time',
	labelNames: ['queue', 'state'] as const,
	registers: [registry]
});
