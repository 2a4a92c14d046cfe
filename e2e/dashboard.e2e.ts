import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { signIn, expectAxeClean, screenshotter } from './support';

/**
 * Dashboard and admin console in Chromium against the built app on
 * the real stack (embedded PostgreSQL, pg-boss workers, dev realm): every
 * page renders for its role, with an axe scan (no serious or critical
 * findings) and a screenshot for the handbook (admin-docs/static/images/console).
 * Proofs submitted here are random DER: accepted by the API, rejected by the
 * worker (proof_malformed), which is enough to see live status changes.
 */
const shot = screenshotter('console');
const axeFindings: Record<string, { id: string; impact: string | null | undefined; nodes: number }[]> = {};

async function scan(page: Page, name: string) {
	const result = await expectAxeClean(page, name);
	axeFindings[name] = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
}

/** A DER SEQUENCE of random bytes: accepted by the API (202), rejected by the worker (proof_malformed). */
const fakeProof = () => {
	const body = randomBytes(48);
	return Buffer.concat([Buffer.from([0x30, body.length]), body]);
};

async function submitProof(page: Page, name: string) {
	const r = await page.request.post('/api/v1/proofs', { data: fakeProof(), headers: { 'content-type': 'application/pkcs7-mime', 'x-filename': name } });
	expect(r.status()).toBe(202);
	return ((await r.json()) as { publicId: string }).publicId;
}

test.afterAll(() => {
	writeFileSync('test-results/axe-dashboard.json', JSON.stringify(axeFindings, null, 2));
});

test('empty states: a tenant with nothing yet sees what to do next', async ({ page }) => {
	await signIn(page, 'admin@globex.test');
	await page.goto('/overview');
	await expect(page.getByRole('heading', { name: 'Overview', level: 1 })).toBeVisible();
	await expect(page.getByTestId('empty').first()).toContainText('No proofs yet');
	await expect(page.getByTestId('stat-balance')).toHaveText('100');
	await scan(page, 'overview-empty');
	await shot(page, 'overview-empty');
	for (const [path, text] of [
		['/proofs', 'No proofs yet'],
		['/certificates', 'No certificates yet'],
		['/agents', 'No agents enrolled yet']
	]) {
		await page.goto(path);
		await expect(page.getByTestId('empty')).toContainText(text);
		await scan(page, `${path.slice(1)}-empty`);
	}
});

test('proofs list updates live: a proof submitted through the API appears and changes status without a reload', async ({ page }) => {
	await signIn(page, 'operator@acme.test');
	await page.goto('/proofs');
	await expect(page.getByTestId('live-state')).toHaveText('Live');
	// a marker that a full page load would wipe
	await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
	const id = await submitProof(page, 'live-1.der');
	const row = page.locator(`tr[data-proof="${id}"]`);
	await expect(row).toBeVisible();
	await expect(row.locator('[data-status]')).toHaveAttribute('data-status', 'REJECTED', { timeout: 30_000 });
	expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
	await scan(page, 'proofs');
	await shot(page, 'proofs');

	// search by public ID, status filter chips
	await page.getByLabel('Search', { exact: true }).fill(id);
	await page.getByRole('button', { name: 'Apply' }).click();
	await expect(page.getByTestId('proofs').locator('tbody tr')).toHaveCount(1);
	await page.goto('/proofs?q=no-such-serial');
	await expect(page.getByTestId('empty')).toContainText('Nothing matches');

	// detail: timeline and the plain explanation of the current state
	await page.goto(`/proofs/${id}`);
	await expect(page.getByTestId('timeline').locator('li').first()).toContainText('Received');
	await expect(page.getByRole('heading', { name: /Waiting for a retry|Rejected/ })).toBeVisible();
	await scan(page, 'proof-detail');
	await shot(page, 'proof-detail');
});

test('bulk upload shows progress per file and overall, and results follow the live status', async ({ page }) => {
	await signIn(page, 'operator@acme.test');
	await page.goto('/proofs/upload');
	await scan(page, 'upload-empty');
	const files = Array.from({ length: 4 }, (_, i) => ({ name: `bulk-${i + 1}.der`, mimeType: 'application/pkcs7-mime', buffer: Buffer.concat([fakeProof(), randomBytes(0)]) }));
	await page.getByTestId('file-input').setInputFiles([...files, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') }]);
	await expect(page.getByText('Skipped (not .der or .zip): notes.txt')).toBeVisible();
	await expect(page.locator('li[data-file]')).toHaveCount(4);
	await page.getByTestId('upload-start').click();
	await expect(page.getByTestId('overall-progress')).toHaveAttribute('value', '100');
	for (const f of files) {
		const li = page.locator(`li[data-file="${f.name}"]`);
		await expect(li.locator('progress')).toHaveAttribute('value', '100');
		await expect(li.locator('a')).toHaveText(/^prf_/);
	}
	// results are live: the statuses move on from Received without a reload
	await expect(page.locator('li[data-file] [data-status="REJECTED"]')).toHaveCount(4, { timeout: 30_000 });
	await scan(page, 'upload');
	await shot(page, 'upload');
});

test('tenant admin pages render with data, pass axe, and are screenshotted', async ({ page, baseURL }) => {
	test.setTimeout(240_000);
	await signIn(page, 'admin@acme.test');
	// agents: the enrolment token is shown once with the exact command
	await page.goto('/agents');
	await page.getByLabel('Name').fill('bench-3');
	await page.getByRole('button', { name: 'Create enrolment token' }).click();
	await expect(page.getByTestId('enrol-command')).toContainText(/npm run agent-sim -- --url http:\/\/localhost:\d+ --enrol-token \S+/);
	await scan(page, 'agents');
	await shot(page, 'agents');

	// real certificates for the certificate pages: the built agent-sim enrols with the token and submits 6 good proofs
	const token = /--enrol-token (\S+)/.exec((await page.getByTestId('enrol-command').textContent()) ?? '')![1];
	const sim = spawnSync(process.execPath, ['build/agent-sim.js', '--url', baseURL!, '--enrol-token', token, '--count', '6'], { encoding: 'utf8', timeout: 120_000 });
	expect(sim.status, sim.stdout + sim.stderr).toBe(0);
	await page.goto('/agents');
	await expect(page.getByTestId('agents')).toContainText('bench-3');
	await expect(page.getByTestId('agents').locator('[data-status]').first()).toHaveAttribute('data-status', 'active');
	await shot(page, 'agents-enrolled');
	await expect.poll(async () => (await (await page.request.get('/api/v1/certificates?status=valid')).json()).items.length, { timeout: 120_000 }).toBeGreaterThanOrEqual(6);

	// settings: display name and logo
	await page.goto('/settings');
	await page.getByLabel('Display name').fill('Acme Recycling');
	await page.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByText('Settings saved.')).toBeVisible();
	const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
	await page.getByLabel('Image file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
	await page.getByRole('button', { name: 'Upload logo' }).click();
	await expect(page.getByText('Logo saved.')).toBeVisible();
	await expect(page.getByRole('img', { name: 'Logo of Acme Recycling' })).toBeVisible();
	await scan(page, 'settings');
	await shot(page, 'settings');

	for (const [path, name, heading] of [
		['/overview', 'overview', 'Overview'],
		['/licences', 'licences', 'Licences'],
		['/activity', 'activity', 'Activity'],
		['/members', 'members', /Members of/]
	] as const) {
		await page.goto(path);
		await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
		await scan(page, name);
		await shot(page, name);
	}
	await expect(page.getByTestId('members')).toContainText('admin@acme.test');

	// certificate detail: PDF preview and download, then revoke with a reason
	await page.goto('/certificates');
	const first = page.getByTestId('certificates').locator('tbody tr').first();
	const publicId = ((await first.getByRole('link').textContent()) ?? '').trim();
	await first.getByRole('link').click();
	await expect(page.getByRole('heading', { level: 1, name: publicId })).toBeVisible();
	await expect(page.getByTestId('pdf-download')).toHaveAttribute('href', `/api/v1/certificates/${publicId}/pdf`);
	const pdf = await page.request.get(`/api/v1/certificates/${publicId}/pdf`);
	expect((await pdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
	await scan(page, 'certificate-detail');
	await shot(page, 'certificate-detail');
	await page.getByRole('button', { name: 'Revoke certificate…' }).click();
	await page.getByLabel('Reason').fill('Issued for the wrong asset');
	await page.getByRole('button', { name: 'Revoke for good' }).click();
	await expect(page.getByText('The certificate is revoked.')).toBeVisible();
	await expect(page.locator('.page-head [data-status]')).toHaveAttribute('data-status', 'revoked');
	await expect(page.getByText('Issued for the wrong asset')).toBeVisible();
	await page.goto('/certificates');
	await scan(page, 'certificates');
	await shot(page, 'certificates');

	// overview figures reflect the proofs of the earlier tests
	await page.goto('/overview');
	const figure = async (id: string) => Number((await page.getByTestId(id).textContent())?.replace(/\D/g, ''));
	expect(await figure('stat-issued')).toBeGreaterThanOrEqual(6);
	await expect(page.getByRole('img', { name: /Licence burn-down/ })).toBeVisible();

	// activity shows the settings change
	await page.goto('/activity?action=tenant.*');
	await expect(page.getByTestId('audit')).toContainText('tenant.settings');

	// exports: CSV with its header row, JSON an array
	const csv = await page.request.get('/api/v1/certificates/export?format=csv');
	expect(csv.headers()['content-disposition']).toMatch(/attachment; filename="certificates-.*\.csv"/);
	expect((await csv.text()).split('\r\n')[0]).toMatch(/^publicId,proofId,status,/);
	expect(Array.isArray(await (await page.request.get('/api/v1/certificates/export?format=json')).json())).toBe(true);
});

test('phone width, dark mode and German', async ({ page }) => {
	await signIn(page, 'admin@acme.test');
	await page.setViewportSize({ width: 390, height: 844 });
	for (const path of ['overview', 'proofs']) {
		await page.goto(`/${path}`);
		// no horizontal scrolling of the page itself at phone width
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
		await scan(page, `${path}-phone`);
		await shot(page, `${path}-phone`);
	}
	await page.setViewportSize({ width: 1280, height: 900 });
	await page.goto('/overview');
	await page.getByTestId('theme').selectOption('dark');
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	await scan(page, 'overview-dark');
	await shot(page, 'overview-dark');
	await page.goto('/proofs');
	await scan(page, 'proofs-dark');
	await shot(page, 'proofs-dark');
	await page.getByTestId('theme').selectOption('system');

	// paraglide's setLocale reloads the page: wait for the German page before navigating on,
	// or the goto races the reload (net::ERR_ABORTED)
	await page.getByTestId('language').selectOption('de');
	await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Nachweise' })).toBeVisible();
	await page.goto('/overview');
	await expect(page.getByRole('heading', { level: 1, name: 'Übersicht' })).toBeVisible();
	await expect(page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Nachweise' })).toBeVisible();
	await scan(page, 'overview-de');
	await shot(page, 'overview-de');
	await page.getByTestId('language').selectOption('en');
	await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Proofs' })).toBeVisible();
});

test('keyboard: skip link and navigation are reachable with a visible focus', async ({ page }) => {
	await signIn(page, 'admin@acme.test');
	await page.goto('/proofs');
	await page.keyboard.press('Tab');
	const skip = page.getByRole('link', { name: 'Skip to content' });
	await expect(skip).toBeFocused();
	const outline = await skip.evaluate((el) => getComputedStyle(el).outlineStyle);
	expect(outline).not.toBe('none');
	await page.keyboard.press('Enter');
	await expect(page.locator('main')).toBeFocused();
});

test('platform admin console: tenants, licences, users, queues, system health, audit', async ({ page }) => {
	await signIn(page, 'admin@wipecert.test');
	await page.goto('/admin/tenants');
	await page.getByLabel('Short name').fill('umbrella');
	await page.getByLabel('Name', { exact: true }).fill('Umbrella Corp');
	await page.getByRole('button', { name: 'Create tenant' }).click();
	await expect(page.getByText('Tenant Umbrella Corp created.')).toBeVisible();
	await scan(page, 'admin-tenants');
	await shot(page, 'admin-tenants');

	await page.getByTestId('tenants').getByRole('link', { name: 'umbrella' }).click();
	await expect(page.getByTestId('tenant-balance')).toHaveText('0');
	await page.getByLabel('Kind').selectOption('grant');
	await page.getByLabel('Amount').fill('250');
	await page.locator('#grant-reason').fill('Contract 2026');
	await page.getByRole('button', { name: 'Book licences' }).click();
	await expect(page.getByText('250 licences booked; balance now 250.')).toBeVisible();
	await expect(page.getByTestId('tenant-balance')).toHaveText('250');
	await page.locator('#status-reason').fill('Unpaid invoice');
	await page.getByRole('button', { name: 'Suspend tenant' }).click();
	await expect(page.getByText('Tenant status changed.')).toBeVisible();
	await expect(page.getByRole('heading', { name: /Status/ }).locator('[data-status]')).toHaveAttribute('data-status', 'suspended');
	await scan(page, 'admin-tenant');
	await shot(page, 'admin-tenant');
	await page.locator('#status-reason').fill('Paid');
	await page.getByRole('button', { name: 'Reactivate tenant' }).click();
	await expect(page.getByRole('heading', { name: /Status/ }).locator('[data-status]')).toHaveAttribute('data-status', 'active');

	await page.goto('/admin/users');
	await expect(page.locator('tr[data-email="admin@acme.test"]')).toContainText('acme: Tenant admin');
	await scan(page, 'admin-users');
	await shot(page, 'admin-users');

	await page.goto('/admin/queues');
	await expect(page.getByTestId('queues')).toContainText('proofs.validated');
	await scan(page, 'admin-queues');
	await shot(page, 'admin-queues');

	await page.goto('/admin/system');
	await expect(page.getByTestId('system-ready')).toHaveText('All systems ready');
	// every maintenance schedule with its setting; no integrity banner on a sound instance
	await expect(page.getByTestId('maintenance')).toContainText('verify_integrity');
	await expect(page.getByTestId('maintenance')).toContainText('MAINTENANCE_INTEGRITY_CRON');
	await expect(page.getByTestId('integrity-banner')).toHaveCount(0);
	await expect(page.getByTestId('chain')).toContainText('Off (CHAIN=noop)');
	await scan(page, 'admin-system');
	await shot(page, 'admin-system');

	await page.goto('/admin/policy');
	await expect(page.getByTestId('policy-note')).toContainText('restart');
	await expect(page.locator('tr[data-setting="SIGNER_BATCH_SIZE"]')).toContainText('50');
	await expect(page.locator('tr[data-setting="PROOF_RETRY_LIMIT"]')).toBeVisible();
	await expect(page.locator('tr[data-setting$="_URL"], tr[data-setting*="SECRET"]')).toHaveCount(0);
	await scan(page, 'admin-policy');
	await shot(page, 'admin-policy');

	await page.goto('/admin/audit');
	await expect(page.getByTestId('chain-verification')).toContainText('Audit chain intact');
	await expect(page.getByTestId('audit')).toContainText('Suspended the tenant');
	await scan(page, 'admin-audit');
	await shot(page, 'admin-audit');
});

test('a suspended tenant cannot submit proofs (403 tenant_suspended)', async ({ page, browser }) => {
	const admin = await browser.newPage();
	await signIn(admin, 'admin@wipecert.test');
	const tenants = (await (await admin.request.get('/api/v1/admin/tenants?limit=200')).json()) as { items: { id: string; slug: string }[] };
	const globex = tenants.items.find((t) => t.slug === 'globex')!;
	const suspend = (status: 'active' | 'suspended') =>
		admin.request.post(`/api/v1/admin/tenants/${globex.id}/status`, { data: { status, reason: 'e2e check' } });
	expect((await suspend('suspended')).status()).toBe(200);
	try {
		await signIn(page, 'operator@globex.test');
		const r = await page.request.post('/api/v1/proofs', { data: fakeProof(), headers: { 'content-type': 'application/pkcs7-mime' } });
		expect(r.status()).toBe(403);
		expect(((await r.json()) as { error: { code: string } }).error.code).toBe('tenant_suspended');
	} finally {
		expect((await suspend('active')).status()).toBe(200);
		await admin.close();
	}
});
