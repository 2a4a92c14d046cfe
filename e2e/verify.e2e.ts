import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type Request } from '@playwright/test';
import { screenshotDir } from './screenshots';
import { signIn, expectAxeClean as axe } from './support';

/**
 * Certificates anyone can verify, in the browser against the built app: the
 * built agent-sim submits real proofs, the embedded proof worker certifies
 * them; a visitor with no account opens a certificate's QR URL, then drops
 * PDFs on /verify, which checks them in the page — no request carries the
 * file — with each outcome: valid, altered, revoked, not a certificate, and
 * valid while the platform cannot be reached. Without JavaScript the form
 * still works (the server checks the upload). Screenshots go to the handbook.
 */
const SHOTS = screenshotDir('verify');

function run(args: string[]): Promise<{ code: number | null; out: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (out += d));
		child.once('exit', (code) => resolve({ code, out }));
	});
}

/** Whether any request sent (part of) the file: its body holds a 48-byte window of the PDF, or it went to an upload endpoint. */
function carriesFile(requests: Request[], pdf: Buffer): string[] {
	const windows = [0, 0.25, 0.5, 0.75].map((f) => pdf.subarray(Math.floor(f * pdf.length), Math.floor(f * pdf.length) + 48));
	return requests
		.filter((r) => {
			const body = r.postDataBuffer();
			return /verifications|\?\/upload/.test(r.url()) || (body !== null && (body.length > 4096 || windows.some((w) => body.includes(w))));
		})
		.map((r) => `${r.method()} ${r.url()}`);
}

test('PDFs are verified in the browser: valid, altered, revoked, not a certificate, offline; nothing is uploaded', async ({ page, browser, baseURL }) => {
	await signIn(page, 'admin@acme.test');
	const enrol = await page.request.post('/api/v1/agents/enrolments', { data: { name: 'verify e2e' } });
	expect(enrol.status()).toBe(201);
	const { token } = (await enrol.json()) as { token: string };
	const sim = await run(['build/agent-sim.js', '--url', baseURL!, '--enrol-token', token, '--count', '2', '--bad-ratio', '0']);
	expect(sim.code, sim.out).toBe(0);
	type Cert = { publicId: string; verifyUrl: string; status: string };
	let certs: Cert[] = [];
	await expect
		.poll(
			async () => {
				const list = (await (await page.request.get('/api/v1/certificates?limit=10')).json()) as { items: Cert[] };
				certs = list.items.filter((c) => c.status === 'valid');
				return certs.length >= 2;
			},
			{ timeout: 90_000 }
		)
		.toBe(true);
	const [good, revoked] = certs;

	// a visitor without an account scans the QR code
	const visitor = await (await browser.newContext({ locale: 'en-GB' })).newPage();
	await visitor.goto(good.verifyUrl);
	await expect(visitor.getByTestId('certificate-status')).toHaveAttribute('data-status', 'valid');
	await expect(visitor.getByTestId('serial')).toContainText('•');
	await expect(visitor.getByTestId('log-index')).toHaveText(/^\d+$/);
	await axe(visitor, 'verify-certificate');
	await visitor.screenshot({ path: `${SHOTS}/verify-certificate.png`, fullPage: true });

	const dir = mkdtempSync(join(tmpdir(), 'wipecert-verify-e2e-'));
	const save = async (publicId: string) => {
		const pdf = await (await visitor.request.get(`/api/v1/public/certificates/${publicId}/pdf`)).body();
		expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
		writeFileSync(join(dir, `${publicId}.pdf`), pdf);
		return { pdf, file: join(dir, `${publicId}.pdf`) };
	};
	const a = await save(good.publicId);
	const b = await save(revoked.publicId);
	expect((await page.request.post(`/api/v1/certificates/${revoked.publicId}/revoke`, { data: { reason: 'Issued for the wrong asset' } })).status()).toBe(200);
	const altered = Buffer.from(a.pdf);
	altered[Math.floor(altered.length / 2)] ^= 0x01;
	writeFileSync(join(dir, 'altered.pdf'), altered);
	writeFileSync(join(dir, 'invoice.pdf'), '%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

	const requests: Request[] = [];
	visitor.on('request', (r) => requests.push(r));
	await visitor.goto('/verify');
	await axe(visitor, 'verify');
	const sha = createHash('sha256').update(await (await visitor.request.get('/downloads/wipecert-verify.mjs')).body()).digest('hex');
	await expect(visitor.getByTestId('verifier-sha256')).toHaveText(sha);
	const input = visitor.getByLabel('Certificate PDF');
	const verdict = visitor.getByTestId('verdict');

	await input.setInputFiles(a.file);
	await expect(verdict).toHaveAttribute('data-valid', 'true');
	await expect(verdict).toContainText('Valid certificate');
	for (const check of ['signature', 'record', 'checkpoint', 'inclusion', 'consistency', 'registry', 'status']) await expect(verdict.locator(`[data-check="${check}"]`)).toHaveAttribute('data-ok', 'true');
	await expect(visitor.getByTestId('online')).toHaveAttribute('data-reached', 'true');
	console.log(`in-browser verification of ${a.pdf.length} bytes: ${await visitor.getByTestId('local-note').getAttribute('data-ms')} ms`);
	await axe(visitor, 'verify-verdict');
	await visitor.screenshot({ path: `${SHOTS}/verify-valid.png`, fullPage: true });

	await input.setInputFiles(join(dir, 'altered.pdf'));
	await expect(verdict).toHaveAttribute('data-valid', 'false');
	await expect(visitor.getByTestId('verdict-reason')).toContainText('Failed check: Digital signature');
	await visitor.screenshot({ path: `${SHOTS}/verify-altered.png`, fullPage: true });

	await input.setInputFiles(b.file);
	await expect(verdict).toHaveAttribute('data-valid', 'false');
	await expect(visitor.getByTestId('verdict-reason')).toContainText('Failed check: Not revoked');
	await expect(visitor.getByTestId('verdict-reason')).toContainText('Issued for the wrong asset');
	await visitor.screenshot({ path: `${SHOTS}/verify-revoked.png`, fullPage: true });

	await input.setInputFiles(join(dir, 'invoice.pdf'));
	await expect(verdict).toHaveAttribute('data-valid', 'false');
	await expect(visitor.getByTestId('verdict-reason')).toContainText('the file carries no PDF signature');
	await visitor.screenshot({ path: `${SHOTS}/verify-not-a-certificate.png`, fullPage: true });

	// the platform out of reach: the file's own evidence still verifies, revocation is unknown
	await visitor.route('**/api/v1/**', (route) => route.abort('internetdisconnected'));
	await input.setInputFiles(a.file);
	await expect(visitor.getByTestId('online')).toHaveAttribute('data-reached', 'false');
	await expect(verdict).toHaveAttribute('data-valid', 'true');
	await visitor.screenshot({ path: `${SHOTS}/verify-offline.png`, fullPage: true });
	await visitor.unroute('**/api/v1/**');

	expect(requests.length).toBeGreaterThan(0);
	for (const pdf of [a.pdf, b.pdf, altered]) expect(carriesFile(requests, pdf), 'requests that carried the PDF').toEqual([]);

	// without JavaScript the form posts the file and the server gives the verdict
	const noJs = await (await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false })).newPage();
	await noJs.goto('/verify');
	await noJs.getByLabel('Certificate PDF').setInputFiles(a.file);
	await noJs.getByRole('button', { name: 'Check PDF' }).click();
	await expect(noJs.getByTestId('verdict')).toHaveAttribute('data-valid', 'true');

	// an unknown ID is the 404 page
	const missing = await visitor.goto('/verify/wc_aaaaaaaaaaaaaaaaaaaaaaaaaa');
	expect(missing?.status()).toBe(404);
});
