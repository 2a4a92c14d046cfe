#!/usr/bin/env bash
# `npm test`: every test tier. Stops at the first failing step and names it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
step() { echo; echo "=== [test] $1"; }
started=$(date +%s)
# The tree as it was before the run (the developer's own edits included): a
# step that writes a tracked file, or leaves an untracked one outside the
# ignored paths, changes this list and fails the last step.
tree_status() { if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then git status --porcelain=v1 --untracked-files=all; else echo "(not a git checkout)"; fi; }
tree_before=$(tree_status)

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

step "benchmark harness (npm run bench -- --quick; no time assertions; writes to a temporary directory)"
node bench/run.mjs --quick

step "fault injection (npm run chaos -- --quick; writes to a temporary directory)"
npx --no-install tsx bench/chaos/run.ts --quick

step "handbook (hugo, links, settings in .env.example and configuration.md)"
node scripts/check-docs.mjs

step "the run left the git tree as it found it"
tree_after=$(tree_status)
if [[ "$tree_after" != "$tree_before" ]]; then
	echo "[test] the tree changed during the run (git status before and after; files you edited yourself meanwhile show up here too):"
	diff <(printf '%s\n' "$tree_before") <(printf '%s\n' "$tree_after") || true
	exit 1
fi
echo "[test] git status is the same as before the run"

echo
echo "=== [test] all steps passed in $(( $(date +%s) - started )) s"
