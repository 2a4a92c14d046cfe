import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a browser test writes its screenshots. The handbook's images under
 * admin-docs/static/images are committed, so a test run must not rewrite them:
 * they are retaken only on purpose (`npm run screenshots`, which sets
 * UPDATE_SCREENSHOTS=1); any other run writes them under test-results/ (ignored
 * by git, emptied by Playwright at the start of each run), where they can still
 * be looked at.
 */
export function screenshotDir(area: string): string {
	const dir = process.env.UPDATE_SCREENSHOTS === '1' ? join('admin-docs/static/images', area) : join('test-results/screenshots', area);
	mkdirSync(dir, { recursive: true });
	return dir;
}
