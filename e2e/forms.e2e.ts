import { randomBytes } from 'node:crypto';
import { expect, test, type Page, type Route } from '@playwright/test';
import { signIn } from './support';

/**
 * Forms carry the Idempotency-Key the page rendered at load time: a
 * double-clicked button is one change, a second submit after the page showed
 * its result is another.
 */
type Ledger = { ledger: { items: { reason: string | null; amount: number }[] } };

test('a double-submitted licence grant books one ledger row; submitting again after the result books another', async ({ page }) => {
	await signIn(page, 'admin@wipecert.test');
	const tenants = (await (await page.request.get('/api/v1/admin/tenants')).json()) as { items: { id: string; slug: string }[] };
	const globex = tenants.items.find((t) => t.slug === 'globex')!;
	const rowsWith = async (reason: string) => {
		const r = (await (await page.request.get(`/api/v1/licences/tenants/${globex.id}?limit=100`)).json()) as Ledger;
		return r.ledger.items.filter((i) => i.reason === reason);
	};

	await page.goto(`/admin/tenants/${globex.id}`);
	const reason = `Double click ${randomBytes(4).toString('hex')}`;
	await page.getByLabel('Kind').selectOption('top_up');
	await page.getByLabel('Amount').fill('7');
	await page.locator('#grant-reason').fill(reason);
	const form = page.locator('form[action="?/grant"]');
	const posts: string[] = [];
	page.on('request', (r) => {
		if (r.method() === 'POST' && r.url().includes('?/grant')) posts.push(r.url());
	});
	// two submits before the first answer arrived, as a double click sends them
	await form.evaluate((f: HTMLFormElement) => {
		f.requestSubmit();
		f.requestSubmit();
	});
	await expect(page.getByText(/7 licences booked/)).toBeVisible();
	await expect.poll(() => posts.length).toBe(2);
	await expect.poll(async () => (await rowsWith(reason)).length).toBe(1);

	// the page reloaded its data, with a new key: the same grant again is a new request
	await page.locator('#grant-reason').fill(reason);
	await page.getByRole('button', { name: 'Book licences' }).click();
	await expect.poll(async () => (await rowsWith(reason)).length).toBe(2);
});

test('what a person types before the page has hydrated is still there after it has', async ({ page }) => {
	await signIn(page, 'admin@wipecert.test');
	// hold the client code back, as a slow connection does, so the server-rendered form is typed into first
	const held: Route[] = [];
	let release = false;
	await page.route('**/_app/immutable/**', (route) => (release ? route.continue() : void held.push(route)));
	await page.goto('/admin/tenants', { waitUntil: 'commit' });
	await page.getByLabel('Short name').waitFor();
	await expect(page.locator('html[data-hydrated]')).not.toBeAttached();
	await page.getByLabel('Short name').fill('typed-early');
	await page.getByLabel('Name', { exact: true }).fill('Typed Early Ltd');
	release = true;
	for (const route of held.splice(0)) await route.continue();
	await expect(page.locator('html[data-hydrated]')).toBeAttached();
	await expect(page.getByLabel('Short name')).toHaveValue('typed-early');
	await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Typed Early Ltd');
});
