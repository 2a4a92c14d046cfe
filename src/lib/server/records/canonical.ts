/**
 * JSON Canonicalization Scheme (RFC 8785): the one canonical form of the
 * platform's signed and hashed JSON (certificate records, erasure reports,
 * audit rows). Object members sorted by their names' UTF-16 code units
 * (§3.2.3), no whitespace, literals, strings and numbers serialised as
 * ECMAScript's JSON.stringify does (§3.2.2: strings with the minimal escapes,
 * numbers in the shortest form that round-trips). Only I-JSON values are
 * accepted (RFC 7493, §3.1): NaN, Infinity, lone surrogates, undefined in an
 * array, Dates, bigints and functions are refused with a TypeError rather
 * than silently changed, so two parties can never hash different bytes for
 * the same record. Members whose value is undefined are left out, as
 * JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
	if (value === null || typeof value === 'boolean') return JSON.stringify(value);
	if (typeof value === 'string') return canonicalString(value);
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new TypeError('canonical JSON cannot carry NaN or Infinity');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) {
		return `[${value
			.map((v) => {
				if (v === undefined) throw new TypeError('canonical JSON cannot carry undefined in an array');
				return canonicalJson(v);
			})
			.join(',')}]`;
	}
	if (typeof value === 'object' && isPlainObject(value)) {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${canonicalString(k)}:${canonicalJson(v)}`).join(',')}}`;
	}
	throw new TypeError(`canonical JSON cannot carry ${value instanceof Date ? 'a Date (convert it to an ISO string first)' : `a ${typeof value}`}`);
}

const isPlainObject = (value: object) => [Object.prototype, null].includes(Object.getPrototypeOf(value));

function canonicalString(s: string): string {
	if (!s.isWellFormed()) throw new TypeError('canonical JSON cannot carry a lone surrogate (RFC 8785 §3.2.2.2)');
	return JSON.stringify(s);
}

/** The UTF-8 bytes of a value's canonical form: what receipts sign and log leaves hash. */
export const canonicalBytes = (value: unknown): Buffer => Buffer.from(canonicalJson(value), 'utf8');
