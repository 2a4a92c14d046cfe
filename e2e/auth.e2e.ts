import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

/**
 * Sign-in through the dev realm's own page as each seeded role, in Chromium
 * against the built app: the navigation shows what the role
 * may use; members and tenants pages work; sign-out ends both sessions.
 */
async function signIn(page: Page, email: string) {
	await page.goto('/');
	await page.getByRole('link', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	await expect(page).toHaveURL(/\/realms\/dev\/interaction\//);
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill('dev-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('signed-in-as')).toBeVisible();
}

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

const ROLES = [
	{ email: 'viewer@acme.test', shows: ['Overview', 'Proofs', 'Agents', 'Licences'], hides: ['Members', 'Settings', 'Activity', 'Tenants'] },
	{ email: 'operator@acme.test', shows: ['Overview', 'Proofs', 'Agents', 'Licences'], hides: ['Members', 'Settings', 'Tenants'] },
	{ email: 'admin@acme.test', shows: ['Overview', 'Members', 'Settings', 'Activity'], hides: ['Tenants'] },
	{ email: 'admin@globex.test', shows: ['Overview', 'Members', 'Settings'], hides: ['Tenants'] },
	{ email: 'operator@globex.test', shows: ['Overview', 'Proofs'], hides: ['Members', 'Tenants'] },
	{ email: 'admin@wipecert.test', shows: ['Tenants', 'Users', 'Queues', 'System'], hides: ['Members', 'Overview'] }
];

for (const role of ROLES) {
	test(`${role.email} signs in through the realm and sees the navigation of their role`, async ({ page }) => {
		await signIn(page, role.email);
		await expect(page).toHaveURL(/\/$/);
		for (const name of role.shows) await expect(nav(page).getByRole('link', { name, exact: true })).toBeVisible();
		for (const name of role.hides) await expect(nav(page).getByRole('link', { name, exact: true })).toHaveCount(0);
		// the person's own account page is behind their name in the header
		await page.getByTestId('signed-in-as').click();
		await expect(page.getByTestId('account')).toContainText(role.email);
	});
}

test('a wrong password is refused on the realm page with an accessible message', async ({ page }) => {
	await page.goto('/auth/login');
	await page.getByLabel('E-mail address').fill('viewer@acme.test');
	await page.getByLabel('Password').fill('wrong');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('alert')).toHaveText('The e-mail address or password is wrong.');
	const axe = await new AxeBuilder({ page }).analyze();
	expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
});

test('an anonymous visitor of a dashboard page is sent to sign-in and comes back there', async ({ page }) => {
	await page.goto('/account');
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	await page.getByLabel('E-mail address').fill('viewer@acme.test');
	await page.getByLabel('Password').fill('dev-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/account$/);
	await expect(page.getByTestId('account-tenant')).toContainText('acme');
});

test('a tenant admin invites someone and changes their role; the other tenant does not see it', async ({ page, browser }) => {
	await signIn(page, 'admin@acme.test');
	await nav(page).getByRole('link', { name: 'Members' }).click();
	await expect(page.getByRole('heading', { name: /Members of Acme/ })).toBeVisible();
	await expect(page.getByTestId('members')).toContainText('operator@acme.test');
	await page.getByLabel('E-mail', { exact: true }).fill('new.person@acme.test');
	await page.getByLabel('Role', { exact: true }).selectOption('viewer');
	await page.getByRole('button', { name: 'Invite' }).click();
	await expect(page.getByText('Invitation for new.person@acme.test saved.')).toBeVisible();
	const row = page.locator('tr[data-email="new.person@acme.test"]');
	await expect(row).toContainText('Invited');
	await row.getByLabel('Role of new.person@acme.test').selectOption('operator');
	await row.getByRole('button', { name: 'Save role' }).click();
	await expect(page.getByText('Role updated.')).toBeVisible();
	await expect(page.locator('tr[data-email="new.person@acme.test"] select')).toHaveValue('operator');
	const axe = await new AxeBuilder({ page }).analyze();
	expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

	const other = await browser.newPage();
	await signIn(other, 'admin@globex.test');
	await other.goto('/members');
	await expect(other.getByTestId('members')).not.toContainText('new.person@acme.test');
	await expect(other.getByTestId('members')).not.toContainText('@acme.test');
	await other.close();
});

test('a platform admin creates a tenant', async ({ page }) => {
	await signIn(page, 'admin@wipecert.test');
	await nav(page).getByRole('link', { name: 'Tenants' }).click();
	await expect(page.getByTestId('tenants')).toContainText('acme');
	await page.getByLabel('Short name').fill('initrode');
	await page.getByLabel('Name', { exact: true }).fill('Initrode GmbH');
	await page.getByRole('button', { name: 'Create tenant' }).click();
	await expect(page.getByText('Tenant Initrode GmbH created.')).toBeVisible();
	await expect(page.getByTestId('tenants')).toContainText('initrode');
	await page.getByLabel('Short name').fill('initrode');
	await page.getByLabel('Name', { exact: true }).fill('Again');
	await page.getByRole('button', { name: 'Create tenant' }).click();
	await expect(page.getByRole('alert')).toContainText('exists already');
	const axe = await new AxeBuilder({ page }).analyze();
	expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
});

test('a viewer cannot open the members or tenants pages', async ({ page }) => {
	await signIn(page, 'viewer@acme.test');
	expect((await page.goto('/members'))?.status()).toBe(403);
	expect((await page.goto('/admin/tenants'))?.status()).toBe(403);
});

test('sign out ends the app session and the realm session', async ({ page }) => {
	await signIn(page, 'operator@acme.test');
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page.getByRole('heading', { name: 'Sign out of the dev realm?' })).toBeVisible();
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(/\/$/);
	await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
	// The realm asks for the password again: its session ended too.
	await page.getByRole('link', { name: 'Sign in' }).click();
	await expect(page.getByLabel('Password')).toBeVisible();
});

test('the account page lists sessions and signs out everywhere', async ({ page, browser }) => {
	await signIn(page, 'viewer@acme.test');
	const second = await browser.newPage();
	await signIn(second, 'viewer@acme.test');
	await page.goto('/account');
	// Earlier tests may have left sessions of this person: at least these two.
	expect(await page.getByTestId('sessions').locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
	await expect(page.getByText('This session')).toBeVisible();
	await page.getByRole('button', { name: 'Sign out everywhere' }).click();
	await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
	// The other browser's app session ended too (its realm session may still sign it in again silently).
	await second.goto('/');
	await expect(second.getByRole('link', { name: 'Sign in' })).toBeVisible();
	await second.close();
});
