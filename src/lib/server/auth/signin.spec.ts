import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './signin';

describe('safeReturnTo (no open redirect after sign-in)', () => {
	it('keeps local paths with their query', () => {
		expect(safeReturnTo('/members?cursor=abc')).toBe('/members?cursor=abc');
		expect(safeReturnTo('/')).toBe('/');
	});
	it('refuses other origins, protocol-relative and backslash tricks, and the auth routes themselves', () => {
		for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/auth/login', '/auth/callback?code=x', '', null]) {
			expect(safeReturnTo(bad)).toBe('/');
		}
	});
});
