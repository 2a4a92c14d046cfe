import { getContext, setContext } from 'svelte';

/**
 * Dates and numbers as the reader expects them: the page's language (en,
 * de) for the format and the tenant's time zone for the clock, through Intl.
 * One formatter set per (locale, zone), made once per process.
 */
export type Format = {
	locale: string;
	timeZone: string;
	/** "3 Dec 2026, 14:05" / "03.12.2026, 14:05"; '—' for none */
	dateTime(iso: string | Date | null | undefined): string;
	/** the date alone */
	date(iso: string | Date | null | undefined): string;
	/** a calendar day (YYYY-MM-DD, a UTC day of the API) as "3 Dec" */
	day(day: string): string;
	number(n: number): string;
	/** +1,000 / −3 / 0 */
	signed(n: number): string;
	/** the time zone's short name ("CET", "UTC") */
	zoneName(): string;
};

const cache = new Map<string, Format>();

export function formatFor(locale: string, timeZone: string): Format {
	const key = `${locale}|${timeZone}`;
	let f = cache.get(key);
	if (f) return f;
	const dt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
	const d = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone });
	const day = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
	const nf = new Intl.NumberFormat(locale);
	const signed = new Intl.NumberFormat(locale, { signDisplay: 'exceptZero' });
	const zone = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' });
	const when = (v: string | Date) => (v instanceof Date ? v : new Date(v));
	f = {
		locale,
		timeZone,
		dateTime: (v) => (v ? dt.format(when(v)) : '—'),
		date: (v) => (v ? d.format(when(v)) : '—'),
		day: (s) => day.format(new Date(`${s}T00:00:00Z`)),
		number: (n) => nf.format(n),
		signed: (n) => signed.format(n),
		zoneName: () => zone.formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? timeZone
	};
	cache.set(key, f);
	return f;
}

const KEY = Symbol('format');

/** Called by the root layout with a getter of the current locale and zone (they change on a tenant switch). */
export function provideFormat(current: () => { locale: string; timeZone: string }): void {
	setContext(KEY, current);
}

/** The formatter of the page being shown; reads the layout's current locale and zone on every call. */
export function useFormat(): Format {
	const current = getContext<(() => { locale: string; timeZone: string }) | undefined>(KEY);
	const get = () => {
		const c = current?.() ?? { locale: 'en', timeZone: 'UTC' };
		return formatFor(c.locale, c.timeZone);
	};
	return {
		get locale() {
			return get().locale;
		},
		get timeZone() {
			return get().timeZone;
		},
		dateTime: (v) => get().dateTime(v),
		date: (v) => get().date(v),
		day: (s) => get().day(s),
		number: (n) => get().number(n),
		signed: (n) => get().signed(n),
		zoneName: () => get().zoneName()
	};
}
