/**
 * The standalone verifier served at GET /downloads/wipecert-verify.mjs:
 * `node wipecert-verify.mjs CERTIFICATE.pdf [--keys FILE] [--witness VKEY] [--json]`.
 * Bundled into one file with every dependency (vite.verifier.config.ts); runs
 * with any Node.js ≥ 20 and nothing installed. The same code as the verify
 * page and `npm run verify`.
 */
import { runVerify } from '#lib/verifier/cli';
import { nodeIo } from './node-io';

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
	process.stderr.write(`wipecert-verify needs Node.js 20 or newer (this is ${process.versions.node})\n`);
	process.exitCode = 2;
} else process.exitCode = await runVerify(process.argv.slice(2), nodeIo('node wipecert-verify.mjs'));
