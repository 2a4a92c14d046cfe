#!/usr/bin/env node
// Fails when src/lib/api is not what `npm run gen:api` makes from openapi/openapi.yaml.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const snapshot = mkdtempSync(join(tmpdir(), 'wipecert-api-'));
cpSync('src/lib/api', snapshot, { recursive: true });
for (const [cmd, args] of [
	['npx', ['--no-install', 'openapi-ts']],
	['node', ['scripts/gen-operations.mjs']]
]) {
	const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
	if (r.status !== 0) process.exit(r.status ?? 1);
}

const files = (dir) =>
	readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
const before = new Map(files(snapshot).map((f) => [relative(snapshot, f), readFileSync(f, 'utf8')]));
const after = new Map(files('src/lib/api').map((f) => [relative('src/lib/api', f), readFileSync(f, 'utf8')]));
const drift = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
rmSync(snapshot, { recursive: true, force: true });
if (drift.length) {
	console.error(`[test] src/lib/api was stale against openapi/openapi.yaml (${drift.join(', ')}); regenerated it — commit the result of \`npm run gen:api\`.`);
	process.exit(1);
}
console.log('[test] generated client matches the spec');
