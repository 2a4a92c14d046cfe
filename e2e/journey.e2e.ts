import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import pngjs from 'pngjs';
import { signIn, screenshotter } from './support';

/**
 * The whole browser journey, in Chromium against the built app
 * on the real stack (embedded PostgreSQL, pg-boss workers, dev realm, keyring
 * signer, transparency log): a platform admin creates a tenant, grants it
 * licences with a reason and invites its first tenant admin; that person
 * (`new.admin@wipecert.test`, a dev-realm user without any tenant group) signs
 * in for the first time, becomes the new tenant's admin and enrols an agent;
 * the built agent-sim
 * submits 50 proofs, 5 of them bad; the dashboard, opened before, counts 45
 * certified and 5 rejected without a reload; the tenant admin downloads a
 * certificate PDF that the offline verify CLI accepts; its QR code leads to
 * the public verify page; revoking it shows there with the reason.
 *
 * Figures are read before agent-sim runs and compared after, so the journey
 * does not depend on the order of the e2e files; the tenant is created here,
 * so a second run needs a fresh DATA_DIR (Playwright's default).
 * Screenshots illustrate admin-docs/content/console/journey.md.
 */
const shot = screenshotter('journey');
const { PNG } = pngjs;

const TENANT = { slug: 'northwind', name: 'Northwind Recycling' };
const GRANT = { amount: 500, reason: 'Contract NW-2026-01: first year' };
const REVOCATION = 'Device returned by the customer before resale; erasure to be repeated';
/** Seeded in the dev realm with no tenant group (idp/seed.ts): a member only once invited. */
const FIRST_ADMIN = 'new.admin@wipecert.test';

async function newPage(browser: Browser): Promise<Page> {
	return (await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, acceptDownloads: true })).newPage();
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		child.once('error', reject);
		child.once('exit', (code) => resolve({ code, out, err }));
	});
}

/** A counter on the overview as a number ("1,045" → 1045). */
async function figure(page: Page, id: string): Promise<number> {
	return Number((await page.getByTestId(id).textContent())?.replace(/\D/g, ''));
}

/** The URL in the certificate's QR code: page 1 rendered by poppler, the code read by jsQR. */
async function qrUrl(pdf: string, dir: string): Promise<string> {
	const rendered = await run('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-png', '-singlefile', pdf, join(dir, 'page1')]);
	expect(rendered.code, rendered.err).toBe(0);
	const png = PNG.sync.read(readFileSync(join(dir, 'page1.png')));
	const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
	expect(code, 'a QR code on page 1 of the certificate').not.toBeNull();
	return code!.data;
}

test('from a new tenant to a verified, then revoked certificate', async ({ browser, baseURL }) => {
	test.setTimeout(360_000);
	const started = Date.now();
	const work = mkdtempSync(join(tmpdir(), 'wipecert-journey-'));

	// 1. The platform admin creates the tenant and grants it licences with a reason.
	const admin = await newPage(browser);
	await test.step('platform admin creates a tenant and grants licences', async () => {
		await signIn(admin, 'admin@wipecert.test');
		await admin.goto('/admin/tenants');
		await admin.getByLabel('Short name').fill(TENANT.slug);
		await admin.getByLabel('Name', { exact: true }).fill(TENANT.name);
		await admin.getByRole('button', { name: 'Create tenant' }).click();
		await expect(admin.getByText(`Tenant ${TENANT.name} created.`)).toBeVisible();
		await expect(admin.getByTestId('tenants').getByRole('link', { name: TENANT.slug })).toBeVisible();
		await shot(admin, '01-admin-tenant-created');

		await admin.getByTestId('tenants').getByRole('link', { name: TENANT.slug }).click();
		await expect(admin.getByRole('heading', { level: 1, name: TENANT.name })).toBeVisible();
		await expect(admin.getByTestId('tenant-balance')).toHaveText('0');
		await admin.getByLabel('Kind').selectOption('grant');
		await admin.getByLabel('Amount').fill(String(GRANT.amount));
		await admin.locator('#grant-reason').fill(GRANT.reason);
		await admin.getByRole('button', { name: 'Book licences' }).click();
		await expect(admin.getByText(`${GRANT.amount} licences booked; balance now ${GRANT.amount}.`)).toBeVisible();
		await expect(admin.getByTestId('tenant-balance')).toHaveText(String(GRANT.amount));
		// the ledger keeps the reason
		await expect(admin.getByRole('cell', { name: GRANT.reason })).toBeVisible();
		await shot(admin, '02-admin-licences-granted');

		// nobody belongs to the new tenant yet: the platform admin invites its first tenant admin
		await admin.getByLabel('E-mail', { exact: true }).fill(FIRST_ADMIN);
		await expect(admin.getByLabel('Role', { exact: true })).toHaveValue('tenant_admin');
		await admin.getByRole('button', { name: 'Send invitation' }).click();
		await expect(admin.getByTestId('tenant-invited')).toHaveText(`${FIRST_ADMIN} invited as Tenant admin.`);
		await admin.locator('#invite-title').scrollIntoViewIfNeeded();
		await shot(admin, '03-admin-first-admin-invited');

		// the grant and the invitation are in the platform audit, hash-chained
		await admin.goto('/admin/audit');
		await expect(admin.getByTestId('chain-verification')).toContainText('Audit chain intact');
		await expect(admin.getByTestId('audit')).toContainText('tenant.create');
		await expect(admin.getByTestId('audit')).toContainText('licence.grant');
		await expect(admin.getByTestId('audit')).toContainText('member.invite');
	});

	// 2. The invited person signs in for the first time: the invitation makes them the new tenant's admin.
	const tenant = await newPage(browser);
	let token = '';
	await test.step('the invited first admin signs in to the new tenant', async () => {
		await signIn(tenant, FIRST_ADMIN);
		await tenant.goto('/members');
		await expect(tenant.getByRole('heading', { level: 1, name: `Members of ${TENANT.name}` })).toBeVisible();
		const row = tenant.getByTestId('members').locator(`tr[data-email="${FIRST_ADMIN}"]`);
		await expect(row).toContainText('Active');
		await expect(row).toContainText('This app');
		await expect(tenant.getByTestId('members').locator('tbody tr')).toHaveCount(1);
		await shot(tenant, '04-first-admin-signed-in');
	});

	await test.step('the tenant admin enrols an agent', async () => {
		await tenant.goto('/agents');
		await expect(tenant.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible();
		await tenant.getByLabel('Name').fill('journey-wipe-station-1');
		await tenant.getByRole('button', { name: 'Create enrolment token' }).click();
		const command = tenant.getByTestId('enrol-command');
		await expect(command).toContainText('--enrol-token');
		const text = (await command.textContent()) ?? '';
		expect(text).toMatch(new RegExp(`^npm run agent-sim -- --url ${baseURL!.replace(/[.:/]/g, '\\$&')} --enrol-token \\S+( --[a-z-]+ \\S+)*$`));
		token = /--enrol-token (\S+)/.exec(text)![1];
		await shot(tenant, '05-agent-enrolment-token');
		// shown once: a reload does not show it again
		await tenant.reload();
		await expect(tenant.getByTestId('enrol-command')).toHaveCount(0);
	});

	// 3. The dashboard is open before the agent runs; a reload would wipe the marker.
	await tenant.goto('/overview');
	await expect(tenant.locator('.page-head .live')).toHaveText('Live');
	const before = { issued: await figure(tenant, 'stat-issued'), rejected: await figure(tenant, 'stat-rejected'), balance: await figure(tenant, 'stat-balance') };
	await shot(tenant, '06-overview-before');
	const rejectedList = await tenant.context().newPage();
	await rejectedList.goto('/proofs?status=REJECTED');
	await expect(rejectedList.getByTestId('live-state')).toHaveText('Live');
	for (const p of [tenant, rejectedList]) await p.evaluate(() => ((window as unknown as { journey: number }).journey = 42));

	// 4. The built agent-sim enrols with the token and submits 50 proofs, 5 of them bad.
	const resultsFile = join(work, 'results.json');
	let good: string[] = [];
	let bad: string[] = [];
	await test.step('agent-sim submits 50 proofs (5 bad)', async () => {
		const sim = await run(process.execPath, ['build/agent-sim.js', '--url', baseURL!, '--enrol-token', token, '--count', '50', '--bad-ratio', '0.1', '--concurrency', '4', '--results', resultsFile]);
		expect(sim.code, sim.out + sim.err).toBe(0);
		const summary = JSON.parse(sim.out.trim().split('\n').at(-1)!) as { submitted: number; accepted: number; good: number; bad: Record<string, number> };
		expect(summary).toMatchObject({ submitted: 50, accepted: 50, good: 45 });
		expect(Object.values(summary.bad).reduce((a, b) => a + b, 0)).toBe(5);
		const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as { kind: string; status: number; publicId: string }[];
		good = results.filter((r) => r.kind === 'good').map((r) => r.publicId);
		bad = results.filter((r) => r.kind !== 'good').map((r) => r.publicId);
		expect([good.length, bad.length]).toEqual([45, 5]);
		// the agent exchanged its token for a certificate: it is listed now
		const agents = await tenant.context().newPage();
		await agents.goto('/agents');
		await expect(agents.getByTestId('agents').locator('tr', { hasText: 'journey-wipe-station-1' })).toBeVisible();
		await agents.close();
	});

	// 5. Live: the counters reach 45 certified and 5 rejected, and the rejected list fills, without a reload.
	await test.step('the dashboard updates live to 45 certified and 5 rejected', async () => {
		await expect.poll(() => figure(tenant, 'stat-issued'), { timeout: 180_000 }).toBe(before.issued + 45);
		await expect.poll(() => figure(tenant, 'stat-rejected'), { timeout: 60_000 }).toBe(before.rejected + 5);
		await expect.poll(() => figure(tenant, 'stat-balance')).toBe(before.balance - 45);
		await expect(tenant.getByRole('img', { name: /^Rejections by/ })).toBeVisible();
		for (const p of [tenant, rejectedList]) expect(await p.evaluate(() => (window as unknown as { journey?: number }).journey), 'no reload').toBe(42);
		await shot(tenant, '07-overview-live');
		for (const id of bad) await expect(rejectedList.locator(`tr[data-proof="${id}"] [data-status]`)).toHaveAttribute('data-status', 'REJECTED');
		expect(await rejectedList.evaluate(() => (window as unknown as { journey?: number }).journey), 'no reload').toBe(42);
		await shot(rejectedList, '08-proofs-rejected-live');
		await rejectedList.close();
	});

	// 6. The tenant admin downloads one certificate's PDF; the offline verify CLI accepts it.
	let publicId = '';
	const pdf = join(work, 'certificate.pdf');
	await test.step('download a certificate PDF and verify it offline', async () => {
		await tenant.goto('/certificates');
		const first = tenant.getByTestId('certificates').locator('tbody tr').first();
		publicId = ((await first.getByRole('link').textContent()) ?? '').trim();
		expect(publicId).toMatch(/^\S+$/);
		await first.getByRole('link').click();
		await expect(tenant.getByRole('heading', { level: 1, name: publicId })).toBeVisible();
		// the certificate belongs to one of this run's proofs
		const proofId = ((await tenant.getByRole('link', { name: /^prf_/ }).textContent()) ?? '').trim();
		expect(good).toContain(proofId);
		// the PDF preview really shows the PDF: same-origin framing allowed, inline
		const preview = tenant.locator('iframe');
		await expect(preview).toBeVisible();
		const pdfPath = `/api/v1/certificates/${publicId}/pdf`;
		await expect.poll(async () => (await preview.elementHandle())?.contentFrame().then((f) => f?.url())).toBe(`${baseURL}${pdfPath}`);
		const framed = await tenant.request.get(pdfPath);
		expect(framed.headers()).toMatchObject({ 'content-type': 'application/pdf', 'x-frame-options': 'SAMEORIGIN', 'content-disposition': `inline; filename="${publicId}.pdf"` });
		const [download] = await Promise.all([tenant.waitForEvent('download'), tenant.getByTestId('pdf-download').click()]);
		expect(download.suggestedFilename()).toBe(`${publicId}.pdf`);
		await download.saveAs(pdf);
		expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
		await shot(tenant, '09-certificate-detail');

		const keys = join(work, 'keys.json');
		const published = await tenant.request.get('/api/v1/public/keys');
		expect(published.status()).toBe(200);
		writeFileSync(keys, await published.body());
		const verified = await run(process.execPath, ['build/verify.js', pdf, '--keys', keys]);
		expect(verified.code, verified.out + verified.err).toBe(0);
	});

	// 7. A visitor without an account scans the QR code on the PDF.
	const visitor = await newPage(browser);
	let verifyUrl = '';
	await test.step('open the public verify page from the QR code', async () => {
		verifyUrl = await qrUrl(pdf, work);
		expect(verifyUrl).toBe(`${baseURL}/verify/${publicId}`);
		await visitor.goto(verifyUrl);
		await expect(visitor.getByRole('heading', { level: 1 })).toContainText(publicId);
		await expect(visitor.getByTestId('certificate-status')).toHaveAttribute('data-status', 'valid');
		await shot(visitor, '10-verify-valid');
	});

	// 8. The tenant admin revokes it with a reason; the verify page shows it revoked with that reason.
	await test.step('revoke the certificate; the verify page shows it revoked with the reason', async () => {
		await tenant.getByRole('button', { name: 'Revoke certificate…' }).click();
		await tenant.getByLabel('Reason').fill(REVOCATION);
		await tenant.getByRole('button', { name: 'Revoke for good' }).click();
		await expect(tenant.getByText('The certificate is revoked.')).toBeVisible();
		await expect(tenant.getByText(REVOCATION)).toBeVisible();
		await shot(tenant, '11-certificate-revoked');

		await visitor.goto(verifyUrl);
		const status = visitor.getByTestId('certificate-status');
		await expect(status).toHaveAttribute('data-status', 'revoked');
		await expect(status.getByRole('alert')).toContainText(REVOCATION);
		await expect(status).toContainText('Revoked');
		await shot(visitor, '12-verify-revoked');
	});

	// the overview counts the revocation too
	await tenant.goto('/overview');
	await expect(tenant.getByTestId('stat-issued').locator('xpath=following-sibling::p[1]')).toContainText(/, [1-9][\d,]* revoked/);

	test.info().annotations.push({ type: 'journey seconds', description: ((Date.now() - started) / 1000).toFixed(1) });
	console.log(`journey: ${((Date.now() - started) / 1000).toFixed(1)} s`);
	await Promise.all([admin.context().close(), tenant.context().close(), visitor.context().close()]);
});
