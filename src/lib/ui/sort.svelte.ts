/**
 * Sortable columns of a table: one click sorts ascending, the next
 * descending (aria-sort on the header says which). A cursor list sorts the
 * rows of the page it shows; lists shown whole (members, keys, queues) sort
 * all of them.
 */
export type SortDir = 'ascending' | 'descending';

export class Sorter<Row> {
	key = $state<string | null>(null);
	dir = $state<SortDir>('ascending');
	constructor(
		private readonly columns: Record<string, (row: Row) => string | number | null | undefined>,
		initial?: { key: string; dir: SortDir }
	) {
		if (initial) {
			this.key = initial.key;
			this.dir = initial.dir;
		}
	}
	toggle(key: string) {
		if (this.key === key) this.dir = this.dir === 'ascending' ? 'descending' : 'ascending';
		else {
			this.key = key;
			this.dir = 'ascending';
		}
	}
	aria(key: string): SortDir | undefined {
		return this.key === key ? this.dir : undefined;
	}
	apply(rows: readonly Row[]): Row[] {
		const get = this.key ? this.columns[this.key] : undefined;
		if (!get) return [...rows];
		const sign = this.dir === 'ascending' ? 1 : -1;
		const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
		return [...rows].sort((a, b) => {
			const x = get(a);
			const y = get(b);
			if (x === y) return 0;
			if (x === null || x === undefined) return 1;
			if (y === null || y === undefined) return -1;
			return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y)));
		});
	}
}
