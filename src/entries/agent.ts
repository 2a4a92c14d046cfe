/**
 * `npm run agent -- nwipe --log FILE [--log FILE…] [--pdf FILE…] --url URL (--enrol-token T | --agent-dir DIR) [options]`
 *
 * A WipeCert agent for erasure tools nobody here wrote. `nwipe` reads nwipe /
 * ShredOS logs (and nwipe's own PDFs, by SHA-256), makes one erasure report per
 * drive, signs each with the agent key and submits it through /ingest/v1/proofs.
 * With --enrol-token it enrols first (and keeps the credentials in
 * --agent-dir when given); with --agent-dir alone it reuses them. One line per
 * drive, then a JSON summary as the last line. Exit 0 when every proof was
 * accepted (and, with --wait, certified), 1 otherwise, 2 for usage errors.
 */
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { enrol, loadAgent, saveAgent, type AgentIdentity } from '#lib/agent/client';
import { nwipeIntake } from '#lib/agent/nwipe-intake';
import { parseUtcOffset } from '#lib/server/proofs/nwipe/reports';
import { buildInfo } from '#lib/server/buildinfo';

const USAGE = `usage: agent nwipe --log FILE [--log FILE…] [--pdf FILE…] --url URL (--enrol-token T | --agent-dir DIR)
       [--operator NAME] [--site SITE] [--country CC] [--host NAME] [--utc-offset ±HH:MM] [--wait SECONDS] [--dry-run]

  --log FILE         an nwipe or ShredOS log (nwipe_log_YYYYMMDD-hhmmss.txt); repeat for several
  --pdf FILE         nwipe's PDF report of a drive (its SHA-256 goes into that drive's proof); repeat
  --url URL          the WipeCert instance
  --enrol-token T    enrol this station first (token from Agents → Enrol an agent)
  --agent-dir DIR    where agent.json is kept: written after --enrol-token, read without it
  --operator NAME    who ran the wipe (default: this system user)
  --site SITE        where the wipe happened (default: "not stated")
  --country CC       ISO 3166 alpha-2 country of the site
  --host NAME        the wiped machine's name (nwipe does not log it)
  --utc-offset ±HH:MM  the wiping station's clock offset from UTC (nwipe logs local time; default +00:00,
                     ShredOS's clock)
  --wait SECONDS     wait for each proof's decision (certified or rejected), at most SECONDS each
  --dry-run          parse and print, submit nothing`;

function usage(problem: string): never {
	process.stderr.write(`agent: ${problem}\n${USAGE}\n`);
	process.exit(2);
}

function parseCli() {
	const [command, ...rest] = process.argv.slice(2);
	if (command === '--help' || command === '-h') {
		process.stdout.write(USAGE + '\n');
		process.exit(0);
	}
	if (command !== 'nwipe') usage(command ? `unknown command “${command}” (this agent knows: nwipe)` : 'a command is required (nwipe)');
	let values;
	try {
		({ values } = parseArgs({
			args: rest,
			options: {
				log: { type: 'string', multiple: true },
				pdf: { type: 'string', multiple: true },
				url: { type: 'string' },
				'enrol-token': { type: 'string' },
				'agent-dir': { type: 'string' },
				operator: { type: 'string' },
				site: { type: 'string' },
				country: { type: 'string' },
				host: { type: 'string' },
				'utc-offset': { type: 'string', default: '+00:00' },
				wait: { type: 'string', default: '0' },
				'dry-run': { type: 'boolean', default: false },
				help: { type: 'boolean', short: 'h' }
			},
			strict: true,
			allowPositionals: false
		}));
	} catch (error) {
		usage((error as Error).message);
	}
	if (values.help) {
		process.stdout.write(USAGE + '\n');
		process.exit(0);
	}
	if (!values.log?.length) usage('--log is required');
	const dryRun = values['dry-run'];
	if (!dryRun && (!values.url || !/^https?:\/\//.test(values.url))) usage('--url must be an http(s) URL');
	if (!dryRun && !values['enrol-token'] && !values['agent-dir']) usage('give --enrol-token or --agent-dir');
	try {
		parseUtcOffset(values['utc-offset']);
	} catch (error) {
		usage((error as Error).message);
	}
	if (values.country && !/^[A-Z]{2}$/.test(values.country)) usage('--country must be two capital letters (ISO 3166 alpha-2)');
	const wait = Number(values.wait);
	if (!Number.isFinite(wait) || wait < 0) usage('--wait must be a number of seconds');
	return { ...values, url: values.url?.replace(/\/$/, ''), wait, dryRun, logs: values.log, pdfs: values.pdf ?? [] };
}

async function agentOf(cli: ReturnType<typeof parseCli>): Promise<AgentIdentity | null> {
	if (cli.dryRun) return null;
	if (cli['enrol-token']) {
		const agent = await enrol(cli.url!, cli['enrol-token'], `nwipe intake on ${hostname()}`);
		if (cli['agent-dir']) saveAgent(cli['agent-dir'], agent);
		return agent;
	}
	const agent = loadAgent(cli['agent-dir']!);
	return cli.url ? { ...agent, url: cli.url } : agent;
}

async function main(): Promise<void> {
	const cli = parseCli();
	const started = performance.now();
	const agent = await agentOf(cli);
	const outcomes = await nwipeIntake(
		agent,
		{
			logs: cli.logs,
			pdfs: cli.pdfs,
			operator: { name: cli.operator || userInfo().username },
			location: { site: cli.site || 'not stated', ...(cli.country ? { country: cli.country } : {}) },
			hostname: cli.host,
			utcOffset: cli['utc-offset'],
			software: { name: 'WipeCert nwipe intake', version: buildInfo.version },
			waitMs: cli.wait * 1000,
			dryRun: cli.dryRun
		},
		(line) => process.stdout.write(line + '\n')
	);
	const accepted = outcomes.filter((o) => o.httpStatus === 202);
	const certified = outcomes.filter((o) => o.proofStatus?.startsWith('CERTIFIED'));
	const summary = {
		drives: outcomes.length,
		submitted: cli.dryRun ? 0 : outcomes.length,
		accepted: accepted.length,
		rejected: outcomes.filter((o) => o.proofStatus === 'REJECTED' || (o.httpStatus !== undefined && o.httpStatus !== 202)).length,
		...(cli.wait > 0 ? { certified: certified.length } : {}),
		seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
		...(agent ? { agentId: agent.agentId } : {}),
		results: outcomes.map((o) => ({ device: o.device, serial: o.serial, result: o.result, publicId: o.publicId ?? null, status: o.proofStatus ?? null, certificateId: o.certificateId ?? null, error: o.error ?? o.rejectionCode ?? null }))
	};
	process.stdout.write(JSON.stringify(summary) + '\n');
	const ok = cli.dryRun || (accepted.length === outcomes.length && (cli.wait === 0 || certified.length === outcomes.length));
	if (!ok) process.exitCode = 1;
}

main().catch((error) => {
	process.stderr.write(`agent: ${(error as Error).message}\n`);
	process.exit(1);
});
