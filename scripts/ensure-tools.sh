#!/usr/bin/env bash
# Installs what npm cannot bring and the tests need: Debian's chromium (Playwright
# drives /usr/bin/chromium), hugo (the handbook) and poppler-utils (pdfsig, pdftoppm).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v hugo >/dev/null 2>&1 || need+=(hugo)
command -v pdfsig >/dev/null 2>&1 || need+=(poppler-utils)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
[ ${#need[@]} -eq 0 ] && exit 0
echo "[test] installing missing Debian packages: ${need[*]}"
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
		echo "[test] cannot install ${need[*]}: not root and no passwordless sudo. Install them with: apt-get install ${need[*]}" >&2
		exit 1
	fi
else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || { echo "[test] apt-get update failed; install ${need[*]} by hand" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || { echo "[test] apt-get install ${need[*]} failed" >&2; exit 1; }
