import { recordAttestation } from './attestation';
import { publishedKeysSchema, type BundleAnchor } from './schemas';
import { verifyCertificatePdf, type PdfVerdict } from './verify';

/**
 * The offline verifier's command line, shared by `npm run verify` and the
 * standalone wipecert-verify.mjs: `CERTIFICATE.pdf [--keys FILE]
 * [--witness VKEY]… [--json]`. Exit 0 valid, 1 invalid (with the reason),
 * 2 usage. Keys: `--keys FILE`, else $WIPECERT_KEYS, else ./keys.json (saved
 * from GET /api/v1/public/keys). File access is injected (io), so this module
 * stays free of Node.js APIs like the rest of the core.
 */
export const usage = (program: string) => `Usage: ${program} CERTIFICATE.pdf [--keys KEYS.json] [--witness VKEY]... [--rpc URL] [--json]

Checks a WipeCert certificate offline: its PAdES signature against the
platform's published keys, the embedded certificate record, the signed log
checkpoint (and witness cosignatures) and the record's inclusion proof. A
certificate re-issued after anchoring also names the blockchain transaction
that recorded its checkpoint: with --rpc that anchor is checked on the chain,
else it is reported as "not checked".

  --keys FILE       keys saved from https://<platform>/api/v1/public/keys
                    (default: $WIPECERT_KEYS, then ./keys.json)
  --witness VKEY    require a cosignature of this witness (C2SP vkey, type 0x04);
                    repeatable. Witnesses listed in the keys file are checked
                    when their cosignature is present.
  --rpc URL         JSON-RPC endpoint of a node of the anchor's chain
  --json            print the verdict as JSON

Exit status: 0 valid, 1 not valid (the reason is printed), 2 usage error.`;

export type CliIo = {
	out: (s: string) => void;
	err: (s: string) => void;
	env: Record<string, string | undefined>;
	readFile: (path: string) => Promise<Uint8Array>;
	exists: (path: string) => boolean;
	program?: string;
	/** the chain check behind --rpc (Node.js builds with the anchor module give it; without it --rpc is refused) */
	checkAnchor?: AnchorChecker;
};

export type AnchorChecker = (anchor: BundleAnchor, rpcUrl: string) => Promise<{ ok: boolean; detail: string; confirmations: number | null }>;
type AnchorReport = { status: 'none' | 'not_checked' | 'valid' | 'invalid'; detail: string };

export async function runVerify(argv: string[], io: CliIo): Promise<0 | 1 | 2> {
	const program = io.program ?? 'npm run verify --';
	const help = usage(program);
	let file: string | undefined;
	let keysFile: string | undefined;
	let asJson = false;
	let rpcUrl: string | undefined;
	const witnesses: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--json') asJson = true;
		else if (a === '--keys' && i + 1 < argv.length) keysFile = argv[++i];
		else if (a.startsWith('--keys=')) keysFile = a.slice(7);
		else if (a === '--witness' && i + 1 < argv.length) witnesses.push(argv[++i]);
		else if (a.startsWith('--witness=')) witnesses.push(a.slice(10));
		else if (a === '--rpc' && i + 1 < argv.length) rpcUrl = argv[++i];
		else if (a.startsWith('--rpc=')) rpcUrl = a.slice(6);
		else if (a === '-h' || a === '--help') {
			io.out(help);
			return 2;
		} else if (a.startsWith('-') || file) {
			io.err(`verify: unexpected argument ${a}\n\n${help}`);
			return 2;
		} else file = a;
	}
	if (!file) {
		io.err(`verify: which certificate PDF?\n\n${help}`);
		return 2;
	}
	if (rpcUrl !== undefined && !/^https?:\/\/\S+$/.test(rpcUrl)) {
		io.err(`verify: --rpc needs an http(s) URL of a JSON-RPC node\n\n${help}`);
		return 2;
	}
	if (rpcUrl && !io.checkAnchor) {
		io.err('verify: this verifier cannot check anchors on a chain; use npm run verify -- FILE.pdf --rpc URL');
		return 2;
	}
	keysFile ??= io.env.WIPECERT_KEYS ?? (io.exists('keys.json') ? 'keys.json' : undefined);
	if (!keysFile) {
		io.err('verify: no keys: save https://<platform>/api/v1/public/keys and pass it with --keys FILE');
		return 2;
	}
	let pdf: Uint8Array;
	let keysJson: unknown;
	try {
		pdf = await io.readFile(file);
	} catch (e) {
		io.err(`verify: cannot read ${file}: ${(e as Error).message}`);
		return 2;
	}
	try {
		keysJson = JSON.parse(new TextDecoder().decode(await io.readFile(keysFile)));
	} catch (e) {
		io.err(`verify: cannot read the keys file ${keysFile}: ${(e as Error).message}`);
		return 2;
	}
	const keys = publishedKeysSchema.safeParse(keysJson);
	if (!keys.success) {
		io.err(`verify: ${keysFile} is not a keys file of GET /api/v1/public/keys`);
		return 2;
	}
	const verdict = await verifyCertificatePdf(pdf, keys.data, { requireWitnesses: witnesses });
	let anchor: AnchorReport = { status: 'none', detail: 'the certificate names no blockchain anchor (issued before its checkpoint was anchored, or anchoring is off)' };
	if (verdict.anchor) {
		if (!verdict.valid) anchor = { status: 'not_checked', detail: 'not checked: the certificate itself did not verify' };
		else if (!rpcUrl || !io.checkAnchor) anchor = { status: 'not_checked', detail: `not checked (no --rpc): claims tx ${verdict.anchor.txHash} in block ${verdict.anchor.blockNumber} of chain ${verdict.anchor.chainId}` };
		else {
			const r = await io.checkAnchor(verdict.anchor, rpcUrl);
			anchor = { status: r.ok ? 'valid' : 'invalid', detail: r.detail };
		}
	}
	const valid = verdict.valid && anchor.status !== 'invalid';
	if (asJson) io.out(JSON.stringify({ file, ...verdict, valid, anchorCheck: anchor }, null, 2));
	else io.out(describe(file, verdict, anchor));
	return valid ? 0 : 1;
}

/** Who stands behind the embedded record's report: an operator's attestation is said plainly, never passed off as an agent signature. */
function attestationLine(record: string | null): string | null {
	const a = recordAttestation(record);
	if (a?.kind === 'operator') return `  attested   Imported from an nwipe log; attested by operator ${a.operatorName}; not signed by an enrolled agent.`;
	if (a?.kind === 'agent') return `  signed by  enrolled agent, certificate ${a.agentCertificateSerial}`;
	return null;
}

function describe(file: string, v: PdfVerdict, anchor: AnchorReport): string {
	const lines = v.checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.check.padEnd(10)} ${c.detail}`);
	if (v.timestampedAt) lines.push(`  timestamp  ${v.timestampedAt} (RFC 3161)`);
	const attested = v.valid ? attestationLine(v.record) : null;
	if (attested) lines.push(attested);
	lines.push(`${anchor.status === 'valid' ? '✔' : anchor.status === 'invalid' ? '✘' : '·'} ${'anchor'.padEnd(10)} ${anchor.detail}`);
	if (v.valid && anchor.status === 'invalid') {
		lines.push(`INVALID: ${file}: the anchor check failed: ${anchor.detail}`);
		return lines.join('\n');
	}
	lines.push(
		v.valid
			? `VALID: ${file} is certificate ${v.publicId}, entry ${v.leafIndex} of the transparency log (checkpoint tree size ${v.treeSize}). Check its current status (revocation) at the verify page.`
			: `INVALID: ${file}: ${v.failed} check failed: ${v.reason}`
	);
	return lines.join('\n');
}
