/** `npm run verify -- FILE.pdf [--keys FILE] [--witness VKEY] [--json]`: offline certificate verification (no network, no database). */
import { runVerify } from '#lib/verifier/cli';
import { nodeIo } from './node-io';

process.exitCode = await runVerify(process.argv.slice(2), nodeIo('npm run verify --'));
