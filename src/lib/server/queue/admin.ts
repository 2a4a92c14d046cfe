import type { DeadLetter } from '#lib/api/types.gen';
import { sql } from 'drizzle-orm';
import { recordAudit } from '#lib/server/audit';
import type { Tx } from '#lib/server/db/client';
import { ApiError } from '#lib/server/http/errors';
import type { AuditContext } from '#lib/server/tenancy/audit-context';
import { deadLetterOf, QUEUES, type QueueName } from './catalogue';
import { sendInTx, type Queue } from './index';

/** The API's dead letter (openapi DeadLetter). */
export type DeadLetterView = DeadLetter;

/** A queue of the catalogue by name; anything else is a 404 (the console never invents queue names). */
export function catalogueQueue(name: string): QueueName {
	const q = (QUEUES as readonly string[]).includes(name) ? (name as QueueName) : null;
	if (!q) throw new ApiError('not_found', 'No queue with this name.');
	return q;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Jobs waiting in a queue's dead-letter queue (`<name>.dead`), oldest first. */
export async function listDeadLetters(queue: Queue, name: QueueName, limit = 50): Promise<DeadLetterView[]> {
	const { rows } = await queue.boss.getDb().executeSql(
		`select id::text, created_on, data, output from pgboss.job
		where name = $1 and state in ('created', 'retry') order by created_on asc limit $2`,
		[deadLetterOf(name), limit]
	);
	return (rows as { id: string; created_on: Date; data: unknown; output: unknown }[]).map((r) => ({
		id: r.id,
		queue: name,
		createdAt: new Date(r.created_on).toISOString(),
		data: r.data ?? null,
		error: messageOf(r.output)
	}));
}

function messageOf(output: unknown): string | null {
	if (output && typeof output === 'object' && 'message' in output && typeof output.message === 'string') return output.message;
	return null;
}

/**
 * Takes one dead letter out of `<name>.dead` and, for a retry, sends its data
 * to the queue again: delete, send and audit row commit in one transaction
 * (the caller's; pg-boss `send` joins it), so the job is never both retried and still dead,
 * nor lost. Unknown job → 404.
 */
export async function settleDeadLetter(tx: Tx, queue: Queue, name: QueueName, jobId: string, outcome: 'retried' | 'discarded', ctx: AuditContext) {
	if (!UUID.test(jobId)) throw new ApiError('not_found', 'No dead letter with this id.');
	{
		const deleted = await tx.execute<{ data: unknown }>(
			sql`delete from pgboss.job where id = ${jobId}::uuid and name = ${deadLetterOf(name)} and state in ('created', 'retry') returning data`
		);
		const row = [...deleted][0];
		if (!row) throw new ApiError('not_found', 'No dead letter with this id.');
		if (outcome === 'retried') await sendInTx(queue, tx, name, (row.data ?? {}) as object);
		await recordAudit(tx, { ...ctx, tenantId: null, action: `queue.dead_letter.${outcome === 'retried' ? 'retry' : 'discard'}`, target: `job:${jobId}`, result: 'success', details: { queue: name } });
		return { id: jobId, outcome };
	}
}
