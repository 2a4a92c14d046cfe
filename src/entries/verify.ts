/** `npm run verify -- FILE.pdf [--keys FILE] [--json]`: offline certificate verification (no network, no database). */
import { runVerify } from '#lib/server/certificates/verify-cli';

const code = await runVerify(process.argv.slice(2), {
	out: (s) => process.stdout.write(`${s}\n`),
	err: (s) => process.stderr.write(`${s}\n`),
	env: process.env
});
process.exitCode = code;
