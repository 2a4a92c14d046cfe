import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { CliIo } from '#lib/verifier/cli';

/** The verifier CLI's file and console access in Node.js (the core itself uses none). */
export const nodeIo = (program: string): CliIo => ({
	out: (s) => process.stdout.write(`${s}\n`),
	err: (s) => process.stderr.write(`${s}\n`),
	env: process.env,
	readFile: async (path) => new Uint8Array(await readFile(path)),
	exists: (path) => existsSync(path),
	program
});
