import * as z from 'zod/mini';
import { logPrefix, monitorOnce, monitorStateSchema, type MonitorIo, type MonitorState } from './monitor';
import { parseVerifierKey } from './note';

export const MONITOR_USAGE = `Usage: npm run monitor -- --url URL [--state FILE] [--key VKEY] [--witness VKEY]... [--interval SECONDS]

Follows a WipeCert transparency log served as C2SP tlog-tiles: verifies each
checkpoint's signature, re-hashes every new entry against the tiles and checks
that the new tree extends the one verified before. Exits 1 (printing both
checkpoints) on a split view or a rewritten entry.

  --url URL          the platform (https://wipecert.example.com) or its log prefix (…/log)
  --state FILE       the last verified checkpoint and tree edge; created on the first run.
                     Without it every run audits the whole log from entry 0.
  --key VKEY         the log's verifier key (default: the one in the state file, else
                     GET <platform>/api/v1/public/keys on the first run)
  --witness VKEY     require a cosignature of this witness on each checkpoint; repeatable
  --interval SECONDS run again every SECONDS until a problem is found (default: once)

Exit status: 0 consistent, 1 problem found (split view, rewritten entry, bad
signature), 2 usage or unreachable log.`;

export type MonitorCliIo = MonitorIo & { err: (s: string) => void; readState: (file: string) => Promise<string | null>; writeState: (file: string, json: string) => Promise<void> };

export async function runMonitor(argv: string[], io: MonitorCliIo): Promise<0 | 1 | 2> {
	let url: string | undefined;
	let stateFile: string | undefined;
	let key: string | undefined;
	let interval = 0;
	const witnesses: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const [a, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
		const value = () => inline ?? argv[++i];
		if (a === '--url') url = value();
		else if (a === '--state') stateFile = value();
		else if (a === '--key') key = value();
		else if (a === '--witness') witnesses.push(value());
		else if (a === '--interval') interval = Number(value());
		else {
			io.err(a === '--help' || a === '-h' ? MONITOR_USAGE : `monitor: unexpected argument ${a}\n\n${MONITOR_USAGE}`);
			return 2;
		}
	}
	if (!url || !/^https?:\/\//.test(url) || !(interval >= 0)) {
		io.err(`monitor: --url https://… is required\n\n${MONITOR_USAGE}`);
		return 2;
	}
	const prefix = logPrefix(url);
	let state: MonitorState | null = null;
	if (stateFile) {
		const raw = await io.readState(stateFile);
		if (raw !== null) {
			let parsed: unknown;
			try {
				parsed = JSON.parse(raw);
			} catch {
				parsed = null;
			}
			const s = monitorStateSchema.safeParse(parsed);
			if (!s.success) {
				io.err(`monitor: ${stateFile} is not a monitor state file`);
				return 2;
			}
			state = s.data;
			if (state.prefix !== prefix) {
				io.err(`monitor: ${stateFile} follows ${state.prefix}, not ${prefix}`);
				return 2;
			}
		}
	}
	if (key && state && key.trim() !== state.logKey) {
		io.err(`monitor: the log key given differs from the one pinned in ${stateFile}: ${state.logKey}`);
		return 1;
	}
	let logKey = key?.trim() ?? state?.logKey;
	try {
		if (!logKey) {
			const keysUrl = `${prefix.replace(/\/log$/, '')}/api/v1/public/keys`;
			const res = await io.fetch(keysUrl);
			const keys = z.object({ logVerifierKey: z.string() }).safeParse(res.ok ? await res.json() : null);
			if (!keys.success) throw new Error(`GET ${keysUrl}: no logVerifierKey (HTTP ${res.status})`);
			logKey = keys.data.logVerifierKey;
			io.out(`trusting the log key published at ${keysUrl}: ${logKey} (pin it with --key)`);
		}
		if (!(await parseVerifierKey(logKey))) {
			io.err(`monitor: ${logKey} is not a signed-note verifier key`);
			return 2;
		}
		for (;;) {
			const r = await monitorOnce(io, { prefix, logKey, witnesses, previous: state });
			if (!r.ok) {
				for (const p of r.problems) io.out(p);
				return 1;
			}
			const grew = r.state.treeSize !== state?.treeSize;
			state = r.state;
			if (stateFile) await io.writeState(stateFile, JSON.stringify(state, null, 1));
			io.out(`${new Date().toISOString()} OK ${state.origin}: tree size ${state.treeSize}, ${r.newEntries} new entries re-hashed${grew ? ', consistent with the checkpoint verified before' : ''}; root ${state.rootHash}`);
			if (!interval) return 0;
			await io.sleep(interval * 1000);
		}
	} catch (e) {
		io.err(`monitor: ${(e as Error).message}`);
		return 2;
	}
}
