/**
 * Makes audit details storable in PostgreSQL `jsonb` and stable across a
 * round trip through it: drops undefined members, turns Dates into ISO
 * strings, replaces NUL (which jsonb refuses) and lone surrogates (which
 * jsonb's \u escapes refuse) with U+FFFD, and refuses non-JSON values.
 * After this, `canonicalJson(x)` equals `canonicalJson(x read back from jsonb)`.
 */
export function storableJson(value: unknown): unknown {
	if (value === null || typeof value === 'boolean') return value;
	if (typeof value === 'string') return storableString(value);
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new TypeError('audit details cannot carry NaN or Infinity');
		return Object.is(value, -0) ? 0 : value;
	}
	if (value instanceof Date) return value.toISOString();
	if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : storableJson(v)));
	if (typeof value === 'object') {
		const out: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
			if (v !== undefined) out[storableString(k)] = storableJson(v);
		}
		return out;
	}
	throw new TypeError(`audit details cannot carry a ${typeof value}`);
}

export function storableString(value: string): string {
	return value.toWellFormed().replaceAll('\u0000', '\uFFFD');
}
