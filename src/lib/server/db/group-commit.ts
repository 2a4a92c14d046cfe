/**
 * Group commit: callers that arrive while earlier work is committing are
 * gathered and committed together, one transaction (or one statement) for
 * all of them, and each caller is answered after that shared commit.
 *
 * The batching is "natural" (as PostgreSQL's own WAL group flush, see
 * https://www.postgresql.org/docs/current/wal-configuration.html, commit_delay):
 * no timer holds a lone caller back. A batch starts at the end of the event
 * loop turn in which its first item arrived (everything parsed in the same
 * turn joins it) as long as fewer than `maxInFlight` batches are running;
 * otherwise items wait for a running batch to finish and then go together.
 * Under light load every caller is committed alone and as soon as today;
 * under heavy load the per-commit cost (round trips, WAL flush, pg-boss
 * insert) is paid once per batch instead of once per caller.
 *
 * Failure: when a shared batch fails, its items are run again one by one, so
 * each caller gets the answer (or error) it would have had alone and one bad
 * item cannot fail the others. A batch that failed committed nothing (one
 * transaction), so running an item again doubles nothing; `run` must be
 * written so that running an item whose commit's outcome was unknown (a
 * connection cut during COMMIT) is harmless too.
 */
export type GroupCommitOptions<I, O> = {
	/** Runs a batch in one transaction (or statement); answers in the order given, one per item. */
	run(items: I[]): Promise<O[]>;
	/** Items per batch at most (bounds one statement's size). */
	maxBatch: number;
	/** Batches running at once at most (each holds a pool connection while it runs). */
	maxInFlight: number;
};

export type GroupCommit<I, O> = {
	(item: I): Promise<O>;
	/** Items waiting and batches running (for tests and metrics). */
	readonly pending: number;
};

type Waiting<I, O> = { item: I; resolve(value: O): void; reject(error: unknown): void };

export function groupCommit<I, O>({ run, maxBatch, maxInFlight }: GroupCommitOptions<I, O>): GroupCommit<I, O> {
	if (maxBatch < 1 || maxInFlight < 1) throw new Error('groupCommit: maxBatch and maxInFlight must be at least 1');
	let queue: Waiting<I, O>[] = [];
	let inFlight = 0;
	let scheduled = false;

	const settle = async (batch: Waiting<I, O>[]): Promise<void> => {
		let answers: O[];
		try {
			answers = await run(batch.map((w) => w.item));
		} catch (error) {
			if (batch.length === 1) return batch[0].reject(error);
			// Nothing of the batch committed: each item alone gets its own answer or error.
			await Promise.all(batch.map((w) => settle([w])));
			return;
		}
		if (answers.length !== batch.length) {
			// committed, but the answers cannot be matched to callers: a bug in `run`, never retried
			const bug = new Error(`groupCommit: run answered ${answers.length} results for ${batch.length} items`);
			for (const w of batch) w.reject(bug);
			return;
		}
		batch.forEach((w, i) => w.resolve(answers[i]));
	};

	const pump = (): void => {
		scheduled = false;
		while (inFlight < maxInFlight && queue.length > 0) {
			const batch = queue.slice(0, maxBatch);
			queue = queue.slice(batch.length);
			inFlight++;
			// settle never rejects: every failure is handed to the batch's callers
			void settle(batch).finally(() => {
				inFlight--;
				pump();
			});
		}
	};

	const submit = ((item: I) =>
		new Promise<O>((resolve, reject) => {
			queue.push({ item, resolve, reject });
			if (!scheduled && inFlight < maxInFlight) {
				scheduled = true;
				// the end of this event loop turn: requests parsed in the same turn share the batch
				setImmediate(pump);
			}
		})) as GroupCommit<I, O>;
	Object.defineProperty(submit, 'pending', { get: () => queue.length + inFlight });
	return submit;
}
