import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { screenshotDir } from './screenshots';
import { signIn, expectAxeClean as scan, screenshotter } from './support';

/**
 * A ShredOS station's logs reaching WipeCert through the dashboard: an
 * operator drops the nwipe log and nwipe's PDF on the upload page, attests
 * them, and each drive becomes a certificate that says — on the certificate
 * page, the PDF, the public verify page and the lists — that it was imported
 * from an nwipe log, attested by that operator, and not signed by an enrolled
 * agent. Screenshots for the handbook's ShredOS page (admin-docs/static/images/shredos).
 */
const SHOTS = screenshotDir('shredos');
const shot = screenshotter('shredos');
const LOG = 'tests/fixtures/nwipe/shredos-0.37-three-drives-one-failed.txt';

test('an operator imports a ShredOS log; each drive becomes a certificate that says it is operator-attested', async ({ page }) => {
	await signIn(page, 'operator@globex.test');
	await page.goto('/proofs/upload');
	const section = page.getByTestId('nwipe-upload');
	await expect(section.getByRole('heading', { name: 'nwipe and ShredOS logs' })).toBeVisible();
	const pdf = { name: 'nwipe_report_2024-06-03-11-15-26_Model_Samsung_SSD_870_EVO_500GB_Serial_S6PXNM0T402871W.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 nwipe single disc report') };
	await page.getByTestId('nwipe-input').setInputFiles([{ name: 'nwipe_log_20240603-091452.txt', mimeType: 'text/plain', buffer: readFileSync(LOG) }, pdf]);
	await expect(page.getByTestId('nwipe-chosen')).toContainText('nwipe_log_20240603-091452.txt');
	await section.getByLabel('Site of the erasure').fill('Hamburg ITAD centre, bay 3');
	await section.getByLabel('Country (ISO code, optional)').fill('DE');
	// nothing is sent before the operator attests, in their own name
	await expect(page.getByTestId('nwipe-start')).toBeDisabled();
	await expect(page.getByTestId('nwipe-attest')).toBeAttached();
	await section.getByText('I attest that these logs are the unaltered output of the erasures they describe, as Gus Globex.').click();
	await scan(page, 'upload-nwipe');
	await page.getByTestId('nwipe-start').click();
	const results = page.getByTestId('nwipe-results');
	await expect(results.locator('[data-device]')).toHaveCount(3);
	await expect(results.locator('[data-device="/dev/sdb"]')).toContainText('failed');
	// the worker certifies all three (a failed wipe gets a certificate that says FAILED)
	for (const device of ['/dev/sda', '/dev/sdb', '/dev/sdc']) await expect(results.locator(`[data-device="${device}"] [data-status]`)).toHaveAttribute('data-status', 'CERTIFIED_NO_ANCHOR', { timeout: 60_000 });
	await shot(page, 'upload-nwipe-log');

	// the certificate of /dev/sda: attested by the operator, not signed by an agent
	await results.locator('[data-device="/dev/sda"] a').click();
	await expect(page.getByText('nwipe log upload (operator-attested)')).toBeVisible();
	await page.locator('a[href^="/certificates/wc_"]').click();
	await expect(page.locator('[data-attestation="operator"]')).toHaveText('Imported from an nwipe log; attested by operator Gus Globex; not signed by an enrolled agent.');
	await scan(page, 'certificate-nwipe');
	await shot(page, 'certificate-from-nwipe-log');
	const certificateId = (await page.locator('h1').textContent())!.trim();
	// the signed PDF, page 1, for the handbook
	const res = await page.request.get(`/api/v1/certificates/${certificateId}/pdf`);
	expect(res.status()).toBe(200);
	const file = join(tmpdir(), `${certificateId}.pdf`);
	writeFileSync(file, await res.body());
	const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
	expect(text.replace(/\s+/g, ' ')).toContain('Imported from an nwipe log; attested by operator Gus Globex; not signed by an enrolled agent.');
	execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', '-singlefile', file, `${SHOTS}/certificate-from-nwipe-log-pdf`]);

	// the public verify page says the same, to anyone
	await page.goto(`/verify/${certificateId}`);
	await expect(page.locator('[data-attestation="operator"]')).toHaveText('Imported from an nwipe log; attested by operator Gus Globex; not signed by an enrolled agent.');
	await scan(page, 'verify-nwipe');
	await shot(page, 'verify-nwipe-certificate');

	// the certificates list filters operator-attested ones and marks them
	await page.goto('/certificates?attestation=operator');
	await expect(page.getByTestId('certificates').locator('[data-attestation="operator"]')).toHaveCount(3);
	await expect(page.getByTestId('certificates').locator('[data-attestation="agent"]')).toHaveCount(0);
	await shot(page, 'certificates-operator-attested');
	const csv = await page.request.get('/api/v1/certificates/export?format=csv&attestation=operator');
	expect((await csv.text()).split('\r\n').filter((l) => l.includes(',operator,Gus Globex,'))).toHaveLength(3);
});

test('a file that is not an nwipe log is refused with the line, and nothing is certified from it', async ({ page }) => {
	await signIn(page, 'operator@globex.test');
	await page.goto('/proofs/upload');
	const damaged = readFileSync('tests/fixtures/nwipe/shredos-0.40-nvme-zeros.txt', 'utf8').split('\n');
	await page.getByTestId('nwipe-input').setInputFiles([{ name: 'cut-short.txt', mimeType: 'text/plain', buffer: Buffer.from(damaged.slice(0, damaged.length - 12).join('\n')) }]);
	await page.getByTestId('nwipe-upload').getByText(/I attest that these logs/).click();
	await page.getByTestId('nwipe-start').click();
	const refused = page.getByTestId('nwipe-results').locator('[data-log="cut-short.txt"]');
	await expect(refused).toContainText('Not imported');
	await expect(refused).toContainText(/line \d+: /);
	await expect(refused.locator('[data-device]')).toHaveCount(0);
});
