import { expect, test, type Page } from '@playwright/test';
import { startReceiver, type Receiver } from '../tests/helpers/webhook-receiver';
import { signIn, expectAxeClean as scan, screenshotter } from './support';

/**
 * Notifications in Chromium against the built app (embedded workers, so the
 * notifications worker and its mail sink run in the web process): a tenant
 * admin registers a webhook endpoint on a real receiver (the next port,
 * allowed by playwright.config's WEBHOOK_ALLOWED_HOSTS), sends a test event
 * and watches it turn "Sent" live, sets mail recipients; a platform admin
 * reads the dead letters and the mail sink. axe on every page (no serious or
 * critical findings) and screenshots for the handbook.
 */
const shot = screenshotter('console');
const port = Number(process.env.E2E_PORT ?? 4173) + 1;
let receiver: Receiver;

test.beforeAll(async () => {
	receiver = await startReceiver((r) => (r.path === '/gone' ? { status: 410 } : { status: 204 }), port);
});
test.afterAll(async () => receiver?.stop());

test('a tenant admin registers a webhook, sends a test event and sees it delivered live', async ({ page }) => {
	await signIn(page, 'admin@acme.test');
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
	await expect(page.getByTestId('live-state')).toHaveText('Live');
	await scan(page, 'notifications-empty');

	// refused by the outbound address policy, with the reason
	await page.getByLabel('URL').fill('http://169.254.169.254/latest/meta-data/');
	await page.getByRole('button', { name: 'Register endpoint' }).click();
	await expect(page.getByRole('alert')).toContainText('link-local address');
	await scan(page, 'notifications-refused');

	await page.getByLabel('URL').fill(`http://127.0.0.1:${port}/hook`);
	await page.getByLabel('Description').fill('Asset management system');
	await page.getByRole('checkbox', { name: /Proof rejected/ }).check();
	await page.getByRole('button', { name: 'Register endpoint' }).click();
	const secret = (await page.getByTestId('secret').locator('.value').textContent())?.trim() ?? '';
	expect(secret).toMatch(/^whsec_/);
	await expect(page.getByTestId('endpoints').locator(`[data-endpoint="http://127.0.0.1:${port}/hook"]`)).toContainText('Enabled');

	// the test button: the row appears and turns "Sent" without a reload
	await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
	await page.getByRole('button', { name: 'Send test event' }).click();
	await expect(page.getByText('Test event queued')).toBeVisible();
	const row = page.getByTestId('deliveries').locator('tr', { hasText: 'Test event' }).first();
	await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'sent');
	expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
	await expect.poll(() => receiver.requests.filter((r) => r.path === '/hook').length).toBe(1);
	const hook = receiver.requests.find((r) => r.path === '/hook')!;
	expect(receiver.verifies(hook, secret)).toBe(true);
	expect(JSON.parse(hook.body).type).toBe('webhook.test');

	// mail recipients for an event
	await page.getByLabel('Recipients of “Proof rejected”').fill('ops@acme.test, security@acme.test');
	await page.getByLabel('Issued certificates').selectOption('daily');
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByText('Mail settings saved.')).toBeVisible();
	await page.reload();
	await expect(page.getByLabel('Recipients of “Proof rejected”')).toHaveValue('ops@acme.test, security@acme.test');
	await expect(page.getByLabel('Issued certificates')).toHaveValue('daily');

	// an invitation: its mail shows in the log, sent to the sink
	const invited = await page.request.post('/api/v1/members', { data: { email: 'new.colleague@acme.test', role: 'operator' }, headers: { origin: new URL(page.url()).origin } });
	expect(invited.status()).toBe(201);
	await expect(page.getByTestId('deliveries').locator('tr', { hasText: 'new.colleague@acme.test' }).locator('[data-status]')).toHaveAttribute('data-status', 'sent');
	await scan(page, 'notifications');
	await shot(page, 'notifications');

	// the delivery's page: attempts and payload
	await row.getByRole('link').click();
	await expect(page.getByRole('heading', { level: 1, name: 'Delivery' })).toBeVisible();
	await expect(page.getByTestId('attempts')).toContainText('Succeeded');
	await expect(page.getByTestId('attempts')).toContainText('204');
	await scan(page, 'notification-delivery');
	await shot(page, 'notification-delivery');

	// German
	await page.goto('/notifications');
	await page.getByTestId('language').selectOption('de');
	await expect(page.getByRole('heading', { level: 1, name: 'Benachrichtigungen' })).toBeVisible();
	await scan(page, 'notifications-de');
	await page.getByTestId('language').selectOption('en');
	await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
});

test('a platform admin finds a dead letter, resends it, and reads the caught mail', async ({ page }) => {
	await signIn(page, 'admin@acme.test');
	const origin = new URL(page.url()).origin;
	const ep = await page.request.post('/api/v1/webhooks', { data: { url: `http://127.0.0.1:${port}/gone`, events: ['licences.low'] }, headers: { origin } });
	expect(ep.status()).toBe(201);
	// 410 Gone is final: dead-lettered at once, the endpoint disabled
	const test1 = await page.request.post(`/api/v1/webhooks/${(await ep.json()).id}/test`, { headers: { origin } });
	expect(test1.status()).toBe(202);
	const deliveryId = (await test1.json()).id as string;
	await expect.poll(async () => (await (await page.request.get(`/api/v1/deliveries/${deliveryId}`)).json()).status).toBe('dead_lettered');
	await page.context().clearCookies();

	await signIn(page, 'admin@wipecert.test');
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Deliveries of all tenants' })).toBeVisible();
	await expect(page.getByTestId('deliveries').locator(`[data-delivery="${deliveryId}"]`)).toContainText('Dead letter');
	await expect(page.getByTestId('deliveries').locator(`[data-delivery="${deliveryId}"]`)).toContainText('HTTP 410');
	await page.getByLabel('Recipients of “Anchoring failed”').fill('oncall@wipecert.test');
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByText('Mail settings saved.')).toBeVisible();
	await scan(page, 'admin-deliveries');
	await shot(page, 'admin-deliveries');
	await page.getByTestId('deliveries').locator(`[data-delivery="${deliveryId}"]`).getByRole('link').click();
	await expect(page.getByRole('heading', { level: 1, name: 'Delivery' })).toBeVisible();
	// the page is hydrated (its form enhanced) before the click: a busy machine is slow to load the client code
	await page.waitForLoadState('networkidle');
	await page.getByRole('button', { name: 'Resend' }).click();
	await expect(page.getByText('Queued again')).toBeVisible();
	await scan(page, 'admin-delivery');

	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mail sink' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Mail sink' })).toBeVisible();
	const invitation = page.getByTestId('mail').locator('tr', { hasText: 'new.colleague@acme.test' });
	await expect(invitation).toBeVisible();
	await scan(page, 'admin-mail');
	await shot(page, 'admin-mail');
	await invitation.getByRole('link').click();
	await expect(page.getByRole('heading', { level: 1 })).toContainText('You are invited to');
	await expect(page.frameLocator('iframe').getByRole('link', { name: 'Sign in to WipeCert' })).toBeVisible();
	await shot(page, 'admin-mail-message');
	// the tabs work from the keyboard; axe runs on the console's own markup (the preview frame is the message, sandboxed without scripts: axe cannot enter it)
	await page.getByRole('tab', { name: 'Raw source' }).focus();
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('raw')).toContainText('Auto-Submitted: auto-generated');
	await scan(page, 'admin-mail-message');
	await page.getByRole('tab', { name: 'Headers' }).click();
	await expect(page.getByRole('tabpanel')).toContainText('x-wipecert-event');
});
