import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REJECTION_CODES, REJECTIONS } from './rejections';

/** The rejection catalogue, the OpenAPI `RejectionCode` enum and the handbook page name the same codes. */
describe('rejection codes', () => {
	it('are the OpenAPI RejectionCode enum', () => {
		const spec = parse(readFileSync('openapi/openapi.yaml', 'utf8')) as { components: { schemas: { RejectionCode: { enum: string[] } } } };
		expect([...spec.components.schemas.RejectionCode.enum].sort()).toEqual([...REJECTION_CODES].sort());
	});

	it('each have a row in the handbook, with whether they can be reprocessed', () => {
		const page = readFileSync('admin-docs/content/agents/rejection-codes.md', 'utf8');
		const rows = new Map([...page.matchAll(/^\| `([a-z_]+)` \|.*\| (\*\*yes\*\*|no) \|$/gm)].map((m) => [m[1], m[2] === '**yes**']));
		expect([...rows.keys()].sort()).toEqual([...REJECTION_CODES].sort());
		for (const code of REJECTION_CODES) expect(rows.get(code), code).toBe(REJECTIONS[code].reprocessable);
	});
});
