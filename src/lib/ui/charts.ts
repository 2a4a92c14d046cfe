/**
 * The licence burn-down as a line: the balance falling as licences are
 * used, rising only where licences were booked. It starts with the balance
 * available at the start of the first day that had any booking (that day's
 * closing balance plus what it used), so a grant is the line's first point
 * and not a rise from zero; days before anything was booked say nothing and
 * are left out.
 */
export type BurnDay = { day: string; balance: number; consumed: number };
export type BurnPoint = { day: string; start: boolean; value: number };

export function burnDownPoints(days: readonly BurnDay[]): BurnPoint[] {
	const first = days.findIndex((d) => d.balance !== 0 || d.consumed !== 0);
	if (first < 0) return [];
	const shown = days.slice(first);
	const opening = shown[0].balance + shown[0].consumed;
	return [{ day: shown[0].day, start: true, value: opening }, ...shown.map((d) => ({ day: d.day, start: false, value: d.balance }))];
}
