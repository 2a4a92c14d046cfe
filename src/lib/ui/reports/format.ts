/** "March 2026" / "März 2026" for a YYYY-MM month (the month as named, not shifted by a time zone). */
export const monthLabel = (month: string, locale: string) =>
	new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${month}-15T00:00:00Z`));

/** The month before the current one (UTC), as YYYY-MM: the month the schedule reports on. */
export function previousMonth(now = new Date()): string {
	const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
	return d.toISOString().slice(0, 7);
}
