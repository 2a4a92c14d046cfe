import AxeBuilder from '@axe-core/playwright';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

/**
 * Certificates anyone can verify, in Chromium against the built
 * app: the built agent-sim submits a real proof, the embedded proof worker
 * certifies it; a visitor with no account opens the certificate's QR URL,
 * then uploads its PDF on /verify and reads the verdict; an altered copy is
 * refused with the failed check named. Screenshots go to the handbook.
 */
const SHOTS = 'admin-docs/static/images/verify';
mkdirSync(SHOTS, { recursive: true });

async function signIn(page: Page, email: string) {
	await page.goto('/auth/login');
	await page.getByLabel('E-mail address').fill(email);
	await page.getByLabel('Password').fill('dev-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('signed-in-as')).toBeAttached();
}

function run(args: string[]): Promise<{ code: number | null; out: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		child.once('exit', (code) => resolve({ code, out }));
	});
}

async function axe(page: Page, name: string) {
	const result = await new AxeBuilder({ page }).analyze();
	const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${name}`).toEqual([]);
}

test('a freshly issued certificate: QR URL page, PDF upload verdict, altered copy refused', async ({ page, browser, baseURL }) => {
	await signIn(page, 'operator@acme.test');
	const enrol = await page.request.post('/api/v1/agents/enrolments', { data: { name: 'verify e2e' } });
	expect(enrol.status()).toBe(201);
	const { token } = (await enrol.json()) as { token: string };
	const sim = await run(['build/agent-sim.js', '--url', baseURL!, '--enrol-token', token, '--count', '1', '--bad-ratio', '0']);
	expect(sim.code, sim.out).toBe(0);
	let cert: { publicId: string; verifyUrl: string; status: string } | undefined;
	await expect
		.poll(
			async () => {
				const list = (await (await page.request.get('/api/v1/certificates?limit=1')).json()) as { items: { publicId: string; verifyUrl: string; status: string }[] };
				cert = list.items.find((c) => c.status === 'valid');
				return Boolean(cert);
			},
			{ timeout: 90_000 }
		)
		.toBe(true);

	// a visitor without an account scans the QR code
	const visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
	await visitor.goto(cert!.verifyUrl);
	await expect(visitor.getByTestId('certificate-status')).toHaveAttribute('data-status', 'valid');
	await expect(visitor.getByTestId('serial')).toContainText('•');
	await expect(visitor.getByTestId('log-index')).toHaveText(/^\d+$/);
	await axe(visitor, 'verify-certificate');
	await visitor.screenshot({ path: `${SHOTS}/verify-certificate.png`, fullPage: true });

	// … downloads the PDF and uploads it on /verify
	const pdf = await (await visitor.request.get(`/api/v1/public/certificates/${cert!.publicId}/pdf`)).body();
	expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
	const dir = mkdtempSync(join(tmpdir(), 'wipecert-verify-e2e-'));
	const file = join(dir, `${cert!.publicId}.pdf`);
	writeFileSync(file, pdf);
	await visitor.goto('/verify');
	await axe(visitor, 'verify');
	await visitor.getByLabel('Certificate PDF').setInputFiles(file);
	await visitor.getByRole('button', { name: 'Check PDF' }).click();
	const verdict = visitor.getByTestId('verdict');
	await expect(verdict).toHaveAttribute('data-valid', 'true');
	await expect(verdict).toContainText('Valid certificate');
	for (const check of ['signature', 'record', 'checkpoint', 'inclusion', 'registry', 'status']) await expect(verdict.locator(`[data-check="${check}"]`)).toHaveAttribute('data-ok', 'true');
	await axe(visitor, 'verify-verdict');
	await visitor.screenshot({ path: `${SHOTS}/verify-upload-valid.png`, fullPage: true });

	// an altered copy: one byte changed in the middle of the file
	const altered = Buffer.from(pdf);
	altered[Math.floor(altered.length / 2)] ^= 0x01;
	const bad = join(dir, 'altered.pdf');
	writeFileSync(bad, altered);
	await visitor.getByLabel('Certificate PDF').setInputFiles(bad);
	await visitor.getByRole('button', { name: 'Check PDF' }).click();
	await expect(visitor.getByTestId('verdict')).toHaveAttribute('data-valid', 'false');
	await expect(visitor.getByTestId('verdict-reason')).toContainText('Failed check: Digital signature');
	await visitor.screenshot({ path: `${SHOTS}/verify-upload-altered.png`, fullPage: true });

	// an unknown ID is the 404 page
	const missing = await visitor.goto('/verify/wc_aaaaaaaaaaaaaaaaaaaaaaaaaa');
	expect(missing?.status()).toBe(404);
});
