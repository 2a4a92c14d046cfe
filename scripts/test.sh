#!/usr/bin/env bash
# `npm test`: every test tier. Stops at the first failing step and names it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
step() { echo; echo "=== [test] $1"; }
started=$(date +%s)

step "tools (chromium, hugo, poppler-utils)"
bash scripts/ensure-tools.sh

step "contract: OpenAPI lint and generated client drift"
npx --no-install redocly lint openapi/openapi.yaml --format=stylish
node scripts/check-generated.mjs

step "typecheck (svelte-check)"
node scripts/prepare.mjs
npx --no-install svelte-check --tsconfig ./tsconfig.json --threshold error --output human

step "build"
npm run -s build

step "unit, integration and process tests (vitest projects, real PostgreSQL)"
npx --no-install vitest run

step "browser tests (Playwright, Debian chromium)"
npx --no-install playwright test

step "benchmark harness (npm run bench -- --quick; no time assertions)"
node bench/run.mjs --quick --out "$(mktemp -d)"

step "fault injection (npm run chaos -- --quick; writes to a temporary directory)"
npx --no-install tsx bench/chaos/run.ts --quick

step "handbook (hugo, links, settings in .env.example and configuration.md)"
node scripts/check-docs.mjs

echo
echo "=== [test] all steps passed in $(( $(date +%s) - started )) s"
