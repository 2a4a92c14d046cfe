import type { z } from 'zod';
import { ApiError } from './errors';
import { zodErrorMap, type ApiLocale } from './localize';

/**
 * Parses a URL's query against a (generated) zod schema. Query values are
 * strings; the keys named in `numeric` are turned into numbers first (a
 * non-number stays a string and fails validation: 422 with the field).
 */
export function parseQuery<S extends z.ZodType>(url: URL, schema: S, numeric: readonly string[] = [], locale: ApiLocale = 'en'): z.output<S> {
	const raw: Record<string, string | number> = {};
	for (const [key, value] of url.searchParams) {
		raw[key] = numeric.includes(key) && /^-?\d+$/.test(value) ? Number(value) : value;
	}
	const result = schema.safeParse(raw, { error: zodErrorMap(locale) });
	if (!result.success) {
		throw new ApiError(
			'validation_failed',
			undefined,
			result.error.issues.map((i) => ({ field: i.path.join('.') || undefined, problem: i.message }))
		);
	}
	return result.data;
}
