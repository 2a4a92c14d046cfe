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

export const jobDuration = new Histogram({
	name: 'wipecert_job_duration_seconds',
	help: 'Time a job took in this process, by worker kind, queue and outcome (completed, failed)',
	labelNames: ['kind', 'queue', 'outcome'] as const,
	buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
	registers: [registry]
});

export const queueOldestAge = new Gauge({
	name: 'wipecert_queue_oldest_age_seconds',
	help: 'Age of the oldest job waiting (created or retry) per queue, read at scrape time; 0 when none waits',
	labelNames: ['queue'] as const,
	registers: [registry]
});

export const dbConnections = new Gauge({
	name: 'wipecert_db_connections',
	help: 'Connections of WipeCert processes to PostgreSQL by process entry and state (pg_stat_activity at scrape time: active = in use, idle, idle in transaction, waiting = waiting on a lock)',
	labelNames: ['entry', 'state'] as const,
	registers: [registry]
});

export const certificatesByState = new Gauge({
	name: 'wipecert_certificates',
	help: 'Certificates by status (issuing, valid, revoked), read at scrape time',
	labelNames: ['status'] as const,
	registers: [registry]
});

export const licenceLedgerTotals = new Gauge({
	name: 'wipecert_licences',
	help: 'Licence units of every tenant by ledger kind (grant, top_up, consumption, refund, correction) as positive numbers, read at scrape time',
	labelNames: ['kind'] as const,
	registers: [registry]
});

export const integrityBroken = new Gauge({
	name: 'wipecert_integrity_broken',
	help: '1 while the newest integrity run (audit hash chains, signed receipts, transparency log) found a break, else 0',
	registers: [registry]
});

export const maintenanceLastRun = new Gauge({
	name: 'wipecert_maintenance_last_run_timestamp_seconds',
	help: 'When each maintenance task last finished (Unix time), read at scrape time',
	labelNames: ['task'] as const,
	registers: [registry]
});

export const anchorsSent = new Counter({
	name: 'wipecert_anchor_transactions_total',
	help: 'Anchor transactions this process signed and sent',
	registers: [registry]
});

export const anchorFailures = new Counter({
	name: 'wipecert_anchor_failures_total',
	help: 'Anchor worker passes that failed (chain down, fees above the cap, funds short…), by error name; the job retries with backoff',
	labelNames: ['reason'] as const,
	registers: [registry]
});

export const anchorPending = new Gauge({
	name: 'wipecert_anchor_pending_certificates',
	help: 'Certificates waiting for a confirmed blockchain anchor, read at scrape time',
	registers: [registry]
});

export const anchorFailing = new Gauge({
	name: 'wipecert_anchor_failing',
	help: '1 while the last anchor worker pass failed (see the console system page), else 0; read at scrape time',
	registers: [registry]
});
