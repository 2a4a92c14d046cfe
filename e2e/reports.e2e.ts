import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import postgres from 'postgres';
import { seedCertifiedMonth } from '../tests/helpers/report-fixtures';
import { signIn, expectAxeClean as scan, screenshotter } from './support';

/**
 * Monthly reports in Chromium against the built app (embedded PostgreSQL,
 * the reports worker embedded in the web process): acme's month just closed
 * is seeded with 240 certificates, a platform admin generates the month on
 * the Billing page, the worker publishes it, and the tenant admin reads it on
 * the Reports page and downloads its files, whose SHA-256 are those the page
 * shows. globex, a tenant since this month only, sees the empty state. Every
 * page passes axe and is screenshotted for the handbook.
 */
const shot = screenshotter('console');
const COUNT = 240;
const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const MONTH = monthStart.toISOString().slice(0, 7);

/** The embedded PostgreSQL of the app under test (port from postmaster.pid, password from secrets.json). */
function database() {
	const dataDir = process.env.E2E_DATA_DIR!;
	const port = Number(readFileSync(join(dataDir, 'pg/postmaster.pid'), 'utf8').split('\n')[3]);
	const { postgresPassword } = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { postgresPassword: string };
	return postgres(`postgres://postgres:${encodeURIComponent(postgresPassword)}@127.0.0.1:${port}/wipecert`, { max: 1, onnotice: () => {} });
}

test.beforeAll(async () => {
	const sql = database();
	try {
		const [{ id }] = await sql<{ id: string }[]>`select id from tenants where slug = 'acme'`;
		// acme has been a customer since before the month
		await sql`update tenants set created_at = ${new Date(monthStart.getTime() - 30 * 86_400_000).toISOString()} where id = ${id}`;
		// once per app: a worker that starts again after a failed test runs this again
		const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from certificates where tenant_id = ${id} and issued_at >= ${monthStart.toISOString()} and issued_at < ${monthEnd.toISOString()}`;
		if (n === 0) await seedCertifiedMonth(sql, { tenantId: id, tenantSlug: 'acme', count: COUNT, from: monthStart, to: monthEnd, tag: 'e2e' });
	} finally {
		await sql.end();
	}
});

test('a platform admin generates the month; the tenant reads and downloads it', async ({ page, browser }) => {
	await signIn(page, 'admin@wipecert.test');
	await page.goto('/admin/billing');
	await expect(page.getByTestId('empty')).toBeVisible();
	await scan(page, 'admin-billing-empty');

	await page.getByLabel('Reason').fill('first statement for the handbook');
	await page.getByRole('button', { name: 'Generate new version' }).click();
	await expect(page.getByTestId('queued')).toBeVisible();
	// the embedded reports worker publishes acme's report and the platform report
	await expect(async () => {
		await page.goto('/admin/billing');
		await expect(page.getByTestId('billing-tenants').locator('tbody tr').filter({ hasText: /acme/i }).locator('[data-status="published"]')).toBeVisible({ timeout: 1000 });
		await expect(page.getByTestId('billing-platform').locator('[data-status="published"]')).toBeVisible({ timeout: 1000 });
	}).toPass({ timeout: 90_000 });
	await expect(page.getByTestId('billing-platform')).toContainText(COUNT.toLocaleString('en'));
	await scan(page, 'admin-billing');
	await shot(page, 'admin-billing');

	const export_ = await page.request.get(await page.getByTestId('billing-export-csv').getAttribute('href') ?? '');
	expect(export_.status()).toBe(200);
	// the header and one consumption per certificate (the seed's grant was booked the day before the month)
	expect((await export_.text()).trimEnd().split('\r\n')).toHaveLength(COUNT + 1);

	const context = await browser.newContext();
	const tenant = await context.newPage();
	await signIn(tenant, 'admin@acme.test');
	await tenant.goto('/reports');
	await expect(tenant.getByTestId('issued')).toHaveText(COUNT.toLocaleString('en'));
	await expect(tenant.getByTestId('closing')).toHaveText('0');
	await scan(tenant, 'reports');
	await shot(tenant, 'reports');

	for (const format of ['pdf', 'csv', 'json'] as const) {
		const link = tenant.getByTestId(`download-${format}`);
		const r = await tenant.request.get((await link.getAttribute('href'))!);
		expect(r.status(), format).toBe(200);
		const sha = createHash('sha256').update(await r.body()).digest('hex');
		await expect(link.locator('..').locator('code')).toHaveText(`SHA-256 ${sha}`);
	}

	await tenant.setViewportSize({ width: 390, height: 844 });
	await tenant.reload();
	expect(await tenant.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
	await scan(tenant, 'reports-phone');
	await tenant.setViewportSize({ width: 1280, height: 900 });
	await tenant.getByTestId('language').selectOption('de');
	await expect(tenant.getByRole('heading', { level: 1, name: 'Monatsberichte' })).toBeVisible();
	await scan(tenant, 'reports-de');
	await shot(tenant, 'reports-de');
	await tenant.getByTestId('language').selectOption('en');
	await expect(tenant.getByRole('heading', { level: 1, name: 'Monthly reports' })).toBeVisible();
	await context.close();
});

test('a tenant without a report sees when it will come', async ({ page }) => {
	await signIn(page, 'admin@globex.test');
	await page.goto('/reports');
	await expect(page.getByTestId('empty')).toContainText('No report yet');
	await scan(page, 'reports-empty');
	// another tenant's report is not found
	const sql = database();
	try {
		const [{ id }] = await sql<{ id: string }[]>`select r.id from billing_reports r join tenants t on t.id = r.tenant_id where t.slug = 'acme' limit 1`;
		expect((await page.request.get(`/api/v1/reports/${id}`)).status()).toBe(404);
		expect((await page.request.get(`/api/v1/reports/${id}/pdf`)).status()).toBe(404);
	} finally {
		await sql.end();
	}
});
