/** `npm run monitor -- --url URL [--state FILE]`: follows the transparency log served as C2SP tlog-tiles. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { runMonitor } from '#lib/verifier/monitor-cli';

process.exitCode = await runMonitor(process.argv.slice(2), {
	fetch,
	out: (s) => process.stdout.write(`${s}\n`),
	err: (s) => process.stderr.write(`${s}\n`),
	sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
	readState: (file) =>
		readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
			if (e.code === 'ENOENT') return null;
			throw e;
		}),
	// written next to the old state and renamed over it: a crash never leaves half a state file
	writeState: async (file, json) => {
		await writeFile(`${file}.tmp`, json);
		await rename(`${file}.tmp`, file);
	}
});
