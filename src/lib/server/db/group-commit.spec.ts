import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit';

/** Group commit without a database: how items are batched and what a failed batch does. */
describe('groupCommit', () => {
	it('a lone item runs alone; items arriving while batches run go together, each answered with its own result', async () => {
		const batches: number[][] = [];
		const run = async (items: number[]) => {
			batches.push(items);
			await new Promise((r) => setTimeout(r, 20));
			return items.map((i) => i * 10);
		};
		const submit = groupCommit({ run, maxBatch: 100, maxInFlight: 1 });
		expect(await submit(1)).toBe(10);
		expect(batches).toEqual([[1]]);
		const first = submit(2);
		await new Promise((r) => setTimeout(r, 5)); // the batch of 2 is running now
		const rest = [3, 4, 5].map((i) => submit(i));
		expect(await Promise.all([first, ...rest])).toEqual([20, 30, 40, 50]);
		expect(batches.slice(1)).toEqual([[2], [3, 4, 5]]);
		expect(submit.pending).toBe(0);
	});

	it('maxBatch bounds a batch', async () => {
		const sizes: number[] = [];
		const submit = groupCommit({ run: async (items: number[]) => (sizes.push(items.length), items), maxBatch: 3, maxInFlight: 1 });
		await Promise.all(Array.from({ length: 7 }, (_, i) => submit(i)));
		expect(sizes).toEqual([3, 3, 1]);
	});

	it('a failed batch is run again item by item: each caller gets its own answer or error', async () => {
		const runs: number[][] = [];
		const submit = groupCommit({
			run: async (items: number[]) => {
				runs.push(items);
				if (items.includes(13)) throw new Error(`refused ${items.join(',')}`);
				return items;
			},
			maxBatch: 10,
			maxInFlight: 1
		});
		const settled = await Promise.allSettled([1, 13, 2].map((i) => submit(i)));
		expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([1, 'refused 13', 2]);
		expect(runs).toEqual([[1, 13, 2], [1], [13], [2]]);
	});

	it('a run answering the wrong number of results rejects every caller and is not run again', async () => {
		let calls = 0;
		const submit = groupCommit({ run: async () => (calls++, [1]), maxBatch: 10, maxInFlight: 1 });
		const settled = await Promise.allSettled([submit(1), submit(2)]);
		expect(settled.every((s) => s.status === 'rejected')).toBe(true);
		expect(calls).toBe(1);
	});
});
