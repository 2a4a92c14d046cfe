import { describe, expect, it } from 'vitest';
import { burnDownPoints } from './charts';

const day = (n: number) => `2026-12-${String(n).padStart(2, '0')}`;

describe('licence burn-down', () => {
	it('falls as licences are used after a grant on the same day, never rising from zero', () => {
		// 1,000 granted on day 3, 45 used that day, 5 the next
		const days = [1, 2, 3, 4].map((n) => ({ day: day(n), balance: n < 3 ? 0 : n === 3 ? 955 : 950, consumed: n === 3 ? 45 : n === 4 ? 5 : 0 }));
		const points = burnDownPoints(days);
		expect(points.map((p) => p.value)).toEqual([1000, 955, 950]);
		for (let i = 1; i < points.length; i++) expect(points[i].value).toBeLessThanOrEqual(points[i - 1].value);
		expect(points[0]).toMatchObject({ day: day(3), start: true });
	});

	it('rises only on a day licences were booked', () => {
		const days = [
			{ day: day(1), balance: 100, consumed: 0 },
			{ day: day(2), balance: 90, consumed: 10 },
			{ day: day(3), balance: 590, consumed: 0 }
		];
		expect(burnDownPoints(days).map((p) => p.value)).toEqual([100, 100, 90, 590]);
	});

	it('is empty before anything was booked', () => {
		expect(burnDownPoints([{ day: day(1), balance: 0, consumed: 0 }])).toEqual([]);
	});
});
