/**
 * The one catalogue of queues. Every queue has a dead-letter queue
 * `<name>.dead` where jobs land after the retry policy from settings runs out.
 */
export const QUEUES = [
	'proofs.validated',
	'certificates.to_anchor',
	'notifications.to_send',
	'reports.monthly',
	'proofs.retry',
	'maintenance'
] as const;

export type QueueName = (typeof QUEUES)[number];

export const deadLetterOf = (queue: QueueName) => `${queue}.dead` as const;

/** Which worker kind claims which queues. */
export const WORKER_KINDS = {
	proof: ['proofs.validated'],
	anchor: ['certificates.to_anchor'],
	notifications: ['notifications.to_send'],
	reports: ['reports.monthly'],
	retry: ['proofs.retry'],
	maintenance: ['maintenance']
} as const satisfies Record<string, readonly QueueName[]>;

export type WorkerKind = keyof typeof WORKER_KINDS;
export const isWorkerKind = (v: unknown): v is WorkerKind => typeof v === 'string' && v in WORKER_KINDS;
