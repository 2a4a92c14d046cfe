import { ApiError } from './errors';

/**
 * Exports as byte streams with bounded memory: rows are read one keyset page
 * at a time, and the next page only when the client has taken the previous
 * one (a ReadableStream pulls on demand), so a million rows cost the memory of
 * a page whatever the client's speed. Three formats: one JSON array, NDJSON
 * (one JSON value per line) and CSV (RFC 4180 with a header row).
 */

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows per page read from the database: large enough to amortise a query, small enough to stay a few hundred KB. */
export const EXPORT_PAGE_ROWS = 1000;

/**
 * One CSV field (RFC 4180: quoted when it holds a comma, quote or line break).
 * A text starting with = + - @ or a tab is prefixed with ' so a spreadsheet
 * does not run it as a formula (OWASP "CSV injection").
 */
export function csvField(value: unknown): string {
	if (value === null || value === undefined) return '';
	let s = String(value);
	if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (values: readonly unknown[]): string => values.map(csvField).join(',') + '\r\n';

export type ExportSource<Row, Key> = {
	/** the CSV header, in the order `csv` returns a row's values */
	columns: readonly string[];
	/** the page after `after` (null: the first); `next` null when this was the last */
	page(after: Key | null): Promise<{ rows: Row[]; next: Key | null }>;
	csv(row: Row): readonly unknown[];
	json(row: Row): unknown;
};

/** Serialises pages of rows in the chosen format, page by page (for streams and for files written to storage). */
export async function* exportChunks<Row, Key>(format: ExportFormat, source: ExportSource<Row, Key>): AsyncGenerator<string> {
	if (format === 'csv') yield csvLine(source.columns);
	if (format === 'json') yield '[';
	let first = true;
	let after: Key | null = null;
	for (;;) {
		const { rows, next } = await source.page(after);
		let chunk = '';
		for (const row of rows) {
			if (format === 'csv') chunk += csvLine(source.csv(row));
			else if (format === 'ndjson') chunk += JSON.stringify(source.json(row)) + '\n';
			else {
				chunk += (first ? '\n' : ',\n') + JSON.stringify(source.json(row));
				first = false;
			}
		}
		if (chunk) yield chunk;
		if (next === null) break;
		after = next;
	}
	if (format === 'json') yield first ? ']\n' : '\n]\n';
}

/** The pull-based byte stream of an export (one page read per pull). */
export function exportStream<Row, Key>(format: ExportFormat, source: ExportSource<Row, Key>): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	const chunks = exportChunks(format, source);
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const { value, done } = await chunks.next();
				if (done) controller.close();
				else controller.enqueue(encoder.encode(value));
			},
			async cancel() {
				await chunks.return(undefined);
			}
		},
		{ highWaterMark: 1 }
	);
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
	csv: 'text/csv; charset=utf-8; header=present',
	json: 'application/json; charset=utf-8',
	ndjson: 'application/x-ndjson; charset=utf-8'
};

/** The HTTP answer of an export: an attachment named `<basename>.<format>`, never cached. */
export function exportResponse(stream: ReadableStream<Uint8Array>, format: ExportFormat, basename: string): Response {
	return new Response(stream, {
		headers: {
			'content-type': CONTENT_TYPES[format],
			'content-disposition': `attachment; filename="${basename}.${format}"`,
			'cache-control': 'no-store'
		}
	});
}

/** An export's `from`/`to` query (UTC instants, already checked by the schema) as dates; `to` must be after `from` (422). */
export function exportWindow(q: { from?: string; to?: string }): { from?: Date; to?: Date } {
	const from = q.from ? new Date(q.from) : undefined;
	const to = q.to ? new Date(q.to) : undefined;
	if (from && to && to <= from) throw new ApiError('validation_failed', undefined, [{ field: 'to', problem: 'must be after from' }]);
	return { from, to };
}
