import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { signIn, expectAxeClean as axe, screenshotter } from './support';

/**
 * The dashboard as a new user meets it, role by role: errors that say what
 * happened, a readable audit trail with refused attempts in it, correct
 * charts and labels, one date and number format, the tenant switcher, a
 * suspended tenant's read-only pages, German API errors, and the phone
 * layout. Screenshots of the states go to the handbook
 * (admin-docs/static/images/console).
 */
const shot = screenshotter('console');

async function person(browser: Browser, email: string) {
	const page = await (await browser.newContext()).newPage();
	await signIn(page, email);
	return page;
}

const fakeProof = () => Buffer.from([0x30, 0x03, 1, 2, 3]);

test('errors are pages that say what happened and what to do', async ({ browser }) => {
	const viewer = await person(browser, 'viewer@acme.test');
	for (const [path, role] of [
		['/members', 'Tenant admin'],
		['/settings', 'Tenant admin'],
		['/activity', 'Tenant admin'],
		['/proofs/upload', 'Operator'],
		['/admin/tenants', 'Platform admin']
	] as const) {
		const response = await viewer.goto(path);
		expect(response?.status(), path).toBe(403);
		await expect(viewer.getByRole('heading', { level: 1 })).toHaveText("You don't have access to this page");
		await expect(viewer.getByTestId('needs-role')).toHaveText(`It needs the role ${role} (or a higher one).`);
		await expect(viewer.getByTestId('error-page')).not.toContainText('Something went wrong');
		// no form a viewer could fill in only to be refused
		await expect(viewer.locator('main form[method="post"]')).toHaveCount(0);
	}
	await expect(viewer.getByTestId('error-page')).toContainText('Only platform admins can open it');
	await viewer.goto('/members');
	await expect(viewer.getByTestId('error-page')).toContainText('Ask a tenant admin of Acme');
	await axe(viewer, 'error-403');
	await shot(viewer, 'error-403');

	// a tenant admin on the console
	const admin = await person(browser, 'admin@acme.test');
	expect((await admin.goto('/admin/tenants'))?.status()).toBe(403);
	await expect(admin.getByTestId('needs-role')).toContainText('Platform admin');

	// 404: what was not found
	expect((await viewer.goto('/no-such-page'))?.status()).toBe(404);
	await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('This page does not exist');
	await expect(viewer.getByTestId('error-page')).toContainText('Nothing is at /no-such-page');
	expect((await viewer.goto('/proofs/prf_aaaaaaaaaaaaaaaaaaaaaaaaaa'))?.status()).toBe(404);
	await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('This page does not exist');

	// the verify page's own answer for an ID nobody issued (and for one that is no ID at all)
	for (const id of ['wc_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'not-an-id']) {
		expect((await viewer.goto(`/verify/${id}`))?.status()).toBe(404);
		await expect(viewer.getByRole('heading', { level: 1 })).toHaveText('No certificate has this ID');
		await expect(viewer.getByTestId('verify-not-found')).toContainText('If someone gave you this document, it may not be genuine.');
		await expect(viewer.getByTestId('verify-not-found')).toContainText(id);
	}
	await axe(viewer, 'verify-not-found');
	await shot(viewer, 'verify-not-found');

	// 401: an anonymous visitor is sent to sign-in
	const anonymous = await (await browser.newContext()).newPage();
	await anonymous.goto('/members');
	await expect(anonymous.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	// the sign-in page's browser asks for /favicon.ico
	expect((await anonymous.request.get('/favicon.ico')).status()).toBe(200);
	await Promise.all([viewer.context().close(), admin.context().close(), anonymous.context().close()]);
});

test('pages show only what the role can do', async ({ browser }) => {
	const viewer = await person(browser, 'viewer@acme.test');
	await viewer.goto('/agents');
	await expect(viewer.getByRole('heading', { level: 1, name: 'Agents' })).toBeVisible();
	await expect(viewer.getByRole('button', { name: 'Create enrolment token' })).toHaveCount(0);
	await expect(viewer.locator('main')).not.toContainText('above');
	await viewer.goto('/proofs');
	await expect(viewer.getByRole('link', { name: 'Upload proofs' })).toHaveCount(0);
	await viewer.context().close();
});

test('labels, numbers and dates read the same everywhere', async ({ browser }) => {
	const operator = await person(browser, 'operator@acme.test');
	await operator.goto('/proofs');
	const labels = await operator.locator('select[name="status"] option').allTextContents();
	expect(new Set(labels).size, labels.join(' | ')).toBe(labels.length);
	expect(labels).toContain('Certified (not anchored)');
	// the search field shows its whole placeholder
	const search = operator.getByLabel('Search', { exact: true });
	expect(await search.evaluate((el: HTMLInputElement) => el.scrollWidth <= el.clientWidth)).toBe(true);

	// one file is "1 file"
	await operator.goto('/proofs/upload');
	await operator.getByTestId('file-input').setInputFiles([{ name: 'one.der', mimeType: 'application/pkcs7-mime', buffer: fakeProof() }]);
	await expect(operator.getByRole('heading', { name: '1 file', exact: true })).toBeVisible();

	// every date on a list has the one format; ledger amounts are formatted numbers with their sign
	expect((await operator.request.post('/api/v1/proofs', { data: fakeProof(), headers: { 'content-type': 'application/pkcs7-mime', 'x-filename': 'dates.der' } })).status()).toBe(202);
	await operator.goto('/proofs');
	const dates = await operator.locator('td[data-label="Received"]').allTextContents();
	expect(dates.length).toBeGreaterThan(0);
	for (const d of dates) expect(d).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M$/);
	await operator.goto('/licences');
	for (const amount of await operator.locator('td[data-label="Amount"]').allTextContents()) expect(amount).toMatch(/^[+-]\d{1,3}(,\d{3})*$/);
	await expect(operator.locator('td[data-label="Amount"]').last()).toHaveText('+1,000');
	await operator.context().close();
});

test('the overview: the burn-down falls, the per-day chart opens on today, the phone layout fits', async ({ browser }) => {
	const admin = await person(browser, 'admin@acme.test');
	// a proof, so the per-day chart is drawn rather than the empty state
	expect((await admin.request.post('/api/v1/proofs', { data: fakeProof(), headers: { 'content-type': 'application/pkcs7-mime' } })).status()).toBe(202);
	await admin.goto('/overview');
	const burn = admin.locator('section[aria-labelledby="chart-burn"] table tbody tr td:nth-child(2)');
	const values = (await burn.allTextContents()).map((v) => Number(v.replace(/\D/g, '')));
	expect(values.length).toBeGreaterThan(1);
	// the first point is the grant, not a zero it rises from
	expect(values[0]).toBeGreaterThanOrEqual(values.at(-1)!);
	expect(values[0]).toBeGreaterThan(0);
	await axe(admin, 'overview');
	await shot(admin, 'overview-burn-down');

	await admin.setViewportSize({ width: 390, height: 844 });
	await admin.goto('/overview');
	expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
	// the sidebar is a menu on a phone
	const nav = admin.getByRole('navigation', { name: 'Main' });
	await expect(nav).toBeHidden();
	await admin.getByRole('button', { name: 'Menu' }).click();
	await expect(nav.getByRole('link', { name: 'Certificates' })).toBeVisible();
	await axe(admin, 'overview-phone-menu');
	await shot(admin, 'navigation-phone');
	await nav.getByRole('link', { name: 'Certificates' }).click();
	await expect(admin.getByRole('heading', { level: 1, name: 'Certificates' })).toBeVisible();
	await expect(nav).toBeHidden();
	await admin.goto('/overview');
	const scroller = admin.locator('section[aria-labelledby="chart-issued"] .scroll');
	await expect.poll(() => scroller.evaluate((el) => el.scrollWidth - el.clientWidth - el.scrollLeft)).toBeLessThanOrEqual(2);
	await admin.context().close();
});

test('API errors in German keep their code; an empty proof says it is empty', async ({ browser }) => {
	const operator = await person(browser, 'operator@acme.test');
	const empty = await operator.request.post('/api/v1/proofs', { data: Buffer.alloc(0), headers: { 'content-type': 'application/pkcs7-mime' } });
	expect(empty.status()).toBe(415);
	const en = ((await empty.json()) as { error: { code: string; message: string } }).error;
	expect(en).toMatchObject({ code: 'proof_not_der', message: 'The proof file is empty (0 bytes).' });
	const de = await operator.request.post('/api/v1/proofs', { data: Buffer.alloc(0), headers: { 'content-type': 'application/pkcs7-mime', 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' } });
	expect(de.status()).toBe(415);
	expect(de.headers()['content-language']).toBe('de');
	const body = (await de.json()) as { error: { code: string; message: string; correlationId: string } };
	expect(Object.keys(body.error).sort()).toEqual(['code', 'correlationId', 'message']);
	expect(body.error).toMatchObject({ code: 'proof_not_der', message: 'Die Nachweisdatei ist leer (0 Byte).' });
	const forbidden = await operator.request.get('/api/v1/members', { headers: { 'accept-language': 'de' } });
	expect(forbidden.status()).toBe(403);
	expect(((await forbidden.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'forbidden', message: 'Ihre Rolle erlaubt das nicht.' });
	const invalid = await operator.request.get('/api/v1/proofs?limit=abc', { headers: { 'accept-language': 'de' } });
	expect(invalid.status()).toBe(422);
	const problem = ((await invalid.json()) as { error: { code: string; message: string; details: { field: string; problem: string }[] } }).error;
	expect(problem.code).toBe('validation_failed');
	expect(problem.message).toBe('Einige Felder sind ungültig; siehe Details.');
	expect(problem.details[0]).toMatchObject({ field: 'limit' });
	expect(problem.details[0].problem).toMatch(/Ungültig|erwartet/);
	await operator.context().close();
});

test('settings: a field error stands next to its field; the time zone moves the dashboard clock', async ({ browser }) => {
	const admin = await person(browser, 'admin@acme.test');
	await admin.goto('/settings');
	await admin.getByLabel('Time zone').fill('Mars/Olympus_Mons');
	await admin.getByRole('button', { name: 'Save' }).click();
	await expect(admin.locator('#tenant-zone-error')).toHaveText('is not a known IANA time zone');
	await expect(admin.getByLabel('Time zone')).toHaveAttribute('aria-invalid', 'true');
	await axe(admin, 'settings-field-error');
	await admin.getByLabel('Time zone').fill('Asia/Tokyo');
	await admin.getByLabel('Not shown (recommended)').check();
	await admin.getByRole('button', { name: 'Save' }).click();
	await expect(admin.getByText('Settings saved.')).toBeVisible();
	await shot(admin, 'settings-privacy');
	await admin.goto('/activity');
	await expect(admin.locator('main')).toContainText(/Times are in (GMT\+9|JST)/);
	await admin.goto('/settings');
	await admin.getByLabel('Time zone').fill('UTC');
	await admin.getByRole('button', { name: 'Save' }).click();
	await expect(admin.getByText('Settings saved.')).toBeVisible();
	await admin.context().close();
});

test('the audit trail names people, links targets, records refusals and failed sign-ins, and exports CSV', async ({ browser }) => {
	// a viewer is refused a page, and someone types a wrong password
	const viewer = await person(browser, 'viewer@acme.test');
	expect((await viewer.goto('/members'))?.status()).toBe(403);
	const stranger = await (await browser.newContext()).newPage();
	await signIn(stranger, 'viewer@acme.test', 'not-the-password');
	await expect(stranger.getByRole('alert')).toHaveText('The e-mail address or password is wrong.');

	const admin = await person(browser, 'admin@acme.test');
	// a settings change to read back: a row with before and after
	for (const timeZone of ['Europe/Berlin', 'UTC']) expect((await admin.request.patch('/api/v1/tenant', { data: { timeZone } })).status()).toBe(200);
	await admin.goto('/activity');
	await expect(admin.getByTestId('audit')).toBeVisible();
	const refused = admin.locator('tr[data-action="access.denied"]').first();
	await expect(refused).toContainText('Access refused');
	await expect(refused.getByTestId('audit-actor')).toContainText('Vera Acme');
	await expect(refused.getByTestId('audit-actor')).toContainText('viewer@acme.test');
	await expect(refused).toContainText('Failure');
	await expect(admin.getByTestId('audit')).not.toContainText('user (tenant_admin)');
	// a target is a link with its name; the details view shows each field
	const settings = admin.locator('tr[data-action="tenant.settings"]').first();
	await expect(settings.getByTestId('audit-target').getByRole('link', { name: /Acme/ })).toHaveAttribute('href', '/settings');
	await settings.locator('details summary').click();
	await expect(settings.locator('dl')).toContainText('timeZone');
	await expect(settings.locator('dl')).toContainText('→');
	// only refusals
	await admin.goto('/activity?result=failure');
	await expect(admin.locator('tr[data-result="success"]')).toHaveCount(0);
	await axe(admin, 'activity');
	await shot(admin, 'activity');

	// CSV export of what the page shows
	const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('audit-export').click()]);
	const dir = mkdtempSync(join(tmpdir(), 'audit-csv-'));
	await download.saveAs(join(dir, 'audit.csv'));
	const lines = readFileSync(join(dir, 'audit.csv'), 'utf8').trim().split('\r\n');
	expect(lines[0]).toBe('createdAt,chain,seq,actorName,actorEmail,actorKind,actorRole,action,target,targetLabel,result,correlationId,sourceIp,details,hash');
	expect(lines.length).toBeGreaterThan(1);
	expect(lines.slice(1).every((l) => l.includes(',failure,'))).toBe(true);
	expect(lines.some((l) => l.includes('Vera Acme,viewer@acme.test,user,viewer,access.denied'))).toBe(true);

	// the failed sign-in is on the platform's trail, without the password
	const platform = await person(browser, 'admin@wipecert.test');
	await platform.goto('/admin/audit?action=auth.sign_in&result=failure');
	const failed = platform.locator('tr[data-action="auth.sign_in"][data-result="failure"]').first();
	await expect(failed).toContainText('Sign-in failed');
	await failed.locator('details summary').click();
	await expect(failed.locator('dl')).toContainText('viewer@acme.test');
	await expect(platform.getByTestId('audit')).not.toContainText('not-the-password');
	await axe(platform, 'admin-audit');
	await shot(platform, 'admin-audit-refusals');
	await Promise.all([viewer.context().close(), stranger.context().close(), admin.context().close(), platform.context().close()]);
});

test('a person in two tenants switches between them; a suspended tenant is read-only', async ({ browser }) => {
	const platform = await person(browser, 'admin@wipecert.test');
	const created = await platform.request.post('/api/v1/admin/tenants', { data: { slug: 'initech', name: 'Initech Recycling' } });
	expect(created.status()).toBe(201);
	const tenant = (await created.json()) as { id: string };
	const invited = await platform.request.post(`/api/v1/admin/tenants/${tenant.id}/invitations`, { data: { email: 'operator@globex.test', role: 'operator' } });
	expect(invited.status()).toBe(201);

	const gus = await person(browser, 'operator@globex.test');
	await gus.goto('/proofs');
	const switcher = gus.getByTestId('tenant-switcher');
	await expect(switcher).toContainText('Globex');
	await switcher.locator('summary').click();
	await axe(gus, 'tenant-switcher-open');
	await shot(gus, 'tenant-switcher');
	await switcher.getByRole('button', { name: /Initech Recycling/ }).click();
	await expect(gus).toHaveURL(/\/overview$/);
	await expect(gus.getByTestId('tenant-switcher')).toContainText('Initech Recycling');
	// remembered for the session
	await gus.reload();
	await expect(gus.getByTestId('tenant-switcher')).toContainText('Initech Recycling');
	expect(((await (await gus.request.get('/api/v1/me')).json()) as { tenant: { slug: string } }).tenant.slug).toBe('initech');
	// a tenant without a membership cannot be switched to
	const acme = ((await (await platform.request.get('/api/v1/admin/tenants?limit=200')).json()) as { items: { id: string; slug: string }[] }).items.find((t) => t.slug === 'acme')!;
	const refused = await gus.request.put('/api/v1/me/tenant', { data: { tenantId: acme.id } });
	expect(refused.status()).toBe(404);
	// audited on the chosen tenant's trail
	await platform.goto(`/admin/audit?tenantId=${tenant.id}&action=auth.switch_tenant`);
	await expect(platform.locator('tr[data-action="auth.switch_tenant"]').first()).toContainText('Gus Globex');

	// suspended: a banner, no upload, read-only pages, the API refuses changes
	expect((await platform.request.post(`/api/v1/admin/tenants/${tenant.id}/status`, { data: { status: 'suspended', reason: 'e2e: read-only check' } })).status()).toBe(200);
	await gus.goto('/proofs');
	await expect(gus.getByTestId('suspended-banner')).toContainText('Initech Recycling is suspended.');
	await expect(gus.getByRole('link', { name: 'Upload proofs' })).toHaveCount(0);
	await axe(gus, 'suspended');
	await shot(gus, 'tenant-suspended');
	expect((await gus.goto('/proofs/upload'))?.status()).toBe(403);
	await expect(gus.getByRole('heading', { level: 1 })).toHaveText('This tenant is suspended');
	await gus.goto('/agents');
	await expect(gus.getByRole('button', { name: 'Create enrolment token' })).toHaveCount(0);
	const enrol = await gus.request.post('/api/v1/agents/enrolments', { data: { name: 'blocked' } });
	expect(enrol.status()).toBe(403);
	expect(((await enrol.json()) as { error: { code: string } }).error.code).toBe('tenant_suspended');
	const me = (await (await gus.request.get('/api/v1/me')).json()) as { actions: string[]; tenantStatus: string };
	expect(me.tenantStatus).toBe('suspended');
	expect(me.actions).not.toContain('agents:manage');
	expect(me.actions).toContain('proofs:read');
	await Promise.all([platform.context().close(), gus.context().close()]);
});

test('the system page lists the build’s worker kinds and pages the keyring', async ({ browser }) => {
	const platform = await person(browser, 'admin@wipecert.test');
	await platform.goto('/admin/system');
	const status = (await (await platform.request.get('/api/v1/admin/system')).json()) as { workers: string[]; workerKinds: string[]; keys: unknown[] | null };
	expect([...status.workerKinds].sort()).toEqual([...status.workers].sort());
	const workers = platform.getByTestId('workers').locator('li');
	await expect(workers).toHaveCount(status.workerKinds.length);
	await expect(platform.getByTestId('workers')).not.toContainText('Not in this process');
	const rows = platform.getByTestId('keys').locator('tbody tr');
	expect(await rows.count()).toBeLessThanOrEqual(10);
	if ((status.keys?.length ?? 0) > 10) {
		await platform.getByTestId('keys-pager').getByRole('button', { name: 'Next page' }).click();
		await expect(platform.getByTestId('keys-pager')).toContainText('Page 2');
	}
	await axe(platform, 'admin-system');
	await platform.context().close();
});

test('the public answer’s issuedAt is the signed record’s', async ({ browser }) => {
	const admin = await person(browser, 'admin@acme.test');
	const list = (await (await admin.request.get('/api/v1/certificates?status=valid&limit=1')).json()) as { items: { publicId: string }[] };
	test.skip(list.items.length === 0, 'no certificate issued in this run yet (the dashboard tests issue them)');
	const publicId = list.items[0].publicId;
	const pub = (await (await admin.request.get(`/api/v1/public/certificates/${publicId}`)).json()) as { issuedAt: string };
	const dir = mkdtempSync(join(tmpdir(), 'issued-at-'));
	writeFileSync(join(dir, 'c.pdf'), await (await admin.request.get(`/api/v1/public/certificates/${publicId}/pdf`)).body());
	// the verification bundle embedded in the PDF carries the signed record's canonical JSON
	execFileSync('pdfdetach', ['-saveall', '-o', dir, join(dir, 'c.pdf')]);
	const bundle = JSON.parse(readFileSync(join(dir, 'wipecert-verification.json'), 'utf8')) as { record: string };
	const record = JSON.parse(bundle.record) as { issuedAt: string };
	expect(new Date(pub.issuedAt).toISOString()).toBe(new Date(record.issuedAt).toISOString());
	await admin.context().close();
});

test('every page passes axe in light, dark, on a phone and in German', async ({ browser, baseURL }) => {
	test.setTimeout(600_000);
	const pages: [string, string[]][] = [
		['admin@acme.test', ['/overview', '/proofs', '/certificates', '/agents', '/licences', '/activity', '/members', '/notifications', '/settings', '/account', '/no-such-page']],
		['viewer@acme.test', ['/members']],
		['admin@wipecert.test', ['/admin/tenants', '/admin/users', '/admin/queues', '/admin/system', '/admin/policy', '/admin/deliveries', '/admin/mail', '/admin/audit']],
		['', ['/', '/verify', '/verify/wc_aaaaaaaaaaaaaaaaaaaaaaaaaa']]
	];
	const modes = [
		{ name: 'light', viewport: { width: 1280, height: 900 }, colorScheme: 'light' as const, locale: 'en' },
		{ name: 'dark', viewport: { width: 1280, height: 900 }, colorScheme: 'dark' as const, locale: 'en' },
		{ name: 'phone', viewport: { width: 390, height: 844 }, colorScheme: 'light' as const, locale: 'en' },
		{ name: 'de', viewport: { width: 1280, height: 900 }, colorScheme: 'light' as const, locale: 'de' }
	];
	for (const mode of modes) {
		for (const [email, paths] of pages) {
			const context = await browser.newContext({ viewport: mode.viewport, colorScheme: mode.colorScheme });
			const page = await context.newPage();
			if (email) await signIn(page, email);
			// the page language is the paraglide cookie (what the language selector sets)
			if (mode.locale === 'de') await context.addCookies([{ name: 'PARAGLIDE_LOCALE', value: 'de', url: baseURL! }]);
			for (const path of paths) {
				await page.goto(path);
				await expect(page.locator('html')).toHaveAttribute('lang', mode.locale);
				await axe(page, `${path} (${mode.name}, ${email || 'anonymous'})`);
				if (mode.name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} fits a phone`).toBeLessThanOrEqual(390);
			}
			await context.close();
		}
	}
});
