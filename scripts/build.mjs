#!/usr/bin/env node
// `npm run build`: the standalone verifier (the app embeds and serves it), the SvelteKit app
// (adapter-node) and the entries, then a stamp for `npm start`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

for (const args of [
	['vite', 'build', '--config', 'vite.verifier.config.ts', '--logLevel', 'warn'],
	['vite', 'build'],
	['vite', 'build', '--config', 'vite.entries.config.ts', '--logLevel', 'warn']
]) {
	const r = spawnSync('npx', ['--no-install', ...args], { stdio: 'inherit' });
	if (r.status !== 0) process.exit(r.status ?? 1);
}
// build/index.js (written by adapter-node) becomes our web entry: adapter-node's server with
// WipeCert's defaults (HOST 127.0.0.1, ORIGIN honoured at run time); see src/entries/web.ts.
writeFileSync('build/index.js', "export * from './web.js';\n");
writeFileSync('build/.stamp', new Date().toISOString());
