/**
 * Pages of a keyset-cursor list (the API hands out the next page's cursor
 * only): the URL keeps the cursors of the pages before this one (`trail`),
 * so "Previous" and the page number work without the API knowing them.
 * Other query parameters (filters) are kept.
 */
const FIRST = '-';

export type PagerLinks = { page: number; first: string | null; previous: string | null; next: string | null };

export function pagerLinks(url: Pick<URL, 'search' | 'pathname'>, nextCursor: string | null): PagerLinks {
	const params = new URLSearchParams(url.search);
	const cursor = params.get('cursor');
	const trail = (params.get('trail') ?? '').split('.').filter(Boolean);
	const withCursor = (c: string | null, t: string[]) => {
		const p = new URLSearchParams(url.search);
		p.delete('cursor');
		p.delete('trail');
		if (c && c !== FIRST) p.set('cursor', c);
		if (t.length) p.set('trail', t.join('.'));
		const q = p.toString();
		return q ? `?${q}` : url.pathname;
	};
	const page = cursor ? trail.length + 1 : 1;
	return {
		page,
		first: cursor ? withCursor(null, []) : null,
		previous: cursor ? withCursor(trail.at(-1) ?? null, trail.slice(0, -1)) : null,
		next: nextCursor ? withCursor(nextCursor, cursor ? [...trail, cursor] : [FIRST]) : null
	};
}
