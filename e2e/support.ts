import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import { screenshotDir } from './screenshots';

/** Signs in through the dev realm's form; with the seeded password, waits until the app shows who is signed in. */
export async function signIn(page: Page, email: string, password = 'dev-password'): Promise<void> {
	await page.goto('/auth/login');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	if (password === 'dev-password') await expect(page.getByTestId('signed-in-as')).toBeAttached();
}

/** Runs axe on the page as it stands; a serious or critical finding fails the test, naming the nodes. */
export async function expectAxeClean(page: Page, name: string) {
	const result = await new AxeBuilder({ page }).analyze();
	const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([]);
	return result;
}

/** A full-page screenshot into the handbook area's directory (see screenshots.ts). */
export function screenshotter(area: string): (page: Page, name: string) => Promise<void> {
	const dir = screenshotDir(area);
	return async (page, name) => {
		// from the top: a full-page shot of a scrolled page draws the sticky sidebar and table headers where the scroll left them
		await page.evaluate(() => window.scrollTo(0, 0));
		// the live indicator settles first, so screenshots do not catch "Connecting…"
		await page.waitForTimeout(300);
		await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
	};
}
