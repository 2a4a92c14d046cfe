import { existsSync, readFileSync } from 'node:fs';
import { publishedKeysSchema, verifyCertificatePdf, type PdfVerdict } from './verify-pdf';

/**
 * `npm run verify -- FILE.pdf [--keys FILE] [--json]`: checks a certificate PDF with no network — the PAdES signature
 * against the published keys, the embedded record, the signed checkpoint and
 * the inclusion proof. Exit 0 valid, 1 invalid (with the reason), 2 usage.
 * Keys: `--keys FILE`, else $WIPECERT_KEYS, else ./keys.json (saved from
 * GET /api/v1/public/keys).
 */
export const USAGE = `Usage: npm run verify -- CERTIFICATE.pdf [--keys KEYS.json] [--json]

Checks a WipeCert certificate offline: its PAdES signature against the
platform's published keys, the embedded certificate record, the signed log
checkpoint and the record's inclusion proof.

  --keys FILE   keys saved from https://<platform>/api/v1/public/keys
                (default: $WIPECERT_KEYS, then ./keys.json)
  --json        print the verdict as JSON

Exit status: 0 valid, 1 not valid (the reason is printed), 2 usage error.`;

export type CliIo = { out: (s: string) => void; err: (s: string) => void; env: Record<string, string | undefined> };

export async function runVerify(argv: string[], io: CliIo): Promise<0 | 1 | 2> {
	let file: string | undefined;
	let keysFile: string | undefined;
	let asJson = false;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--json') asJson = true;
		else if (a === '--keys') keysFile = argv[++i];
		else if (a.startsWith('--keys=')) keysFile = a.slice(7);
		else if (a === '-h' || a === '--help') {
			io.out(USAGE);
			return 2;
		} else if (a.startsWith('-') || file) {
			io.err(`verify: unexpected argument ${a}\n\n${USAGE}`);
			return 2;
		} else file = a;
	}
	if (!file) {
		io.err(`verify: which certificate PDF?\n\n${USAGE}`);
		return 2;
	}
	keysFile ??= io.env.WIPECERT_KEYS ?? (existsSync('keys.json') ? 'keys.json' : undefined);
	if (!keysFile) {
		io.err('verify: no keys: save https://<platform>/api/v1/public/keys and pass it with --keys FILE');
		return 2;
	}
	let pdf: Uint8Array;
	let keysJson: unknown;
	try {
		pdf = new Uint8Array(readFileSync(file));
	} catch (e) {
		io.err(`verify: cannot read ${file}: ${(e as Error).message}`);
		return 2;
	}
	try {
		keysJson = JSON.parse(readFileSync(keysFile, 'utf8'));
	} catch (e) {
		io.err(`verify: cannot read the keys file ${keysFile}: ${(e as Error).message}`);
		return 2;
	}
	const keys = publishedKeysSchema.safeParse(keysJson);
	if (!keys.success) {
		io.err(`verify: ${keysFile} is not a keys file of GET /api/v1/public/keys`);
		return 2;
	}
	const verdict = await verifyCertificatePdf(pdf, keys.data);
	if (asJson) io.out(JSON.stringify({ file, ...verdict }, null, 2));
	else io.out(describe(file, verdict));
	return verdict.valid ? 0 : 1;
}

function describe(file: string, v: PdfVerdict): string {
	const lines = v.checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.check.padEnd(10)} ${c.detail}`);
	if (v.timestampedAt) lines.push(`  timestamp  ${v.timestampedAt} (RFC 3161)`);
	lines.push(
		v.valid
			? `VALID: ${file} is certificate ${v.publicId}, entry ${v.leafIndex} of the transparency log (checkpoint tree size ${v.treeSize}). Check its current status (revocation) at the verify page.`
			: `INVALID: ${file}: ${v.failed} check failed: ${v.reason}`
	);
	return lines.join('\n');
}
