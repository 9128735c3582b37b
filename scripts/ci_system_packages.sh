#!/usr/bin/env bash
# Debian packages the browser tests need: chromium (driven by Playwright, no browser
# download) and a Korean font (fonts-nanum) so Korean titles render as text, not boxes.
# Used by .ci/run; on a learner's machine install a Korean font the same way (README).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum)
[ ${#need[@]} -eq 0 ] && { echo "ci: chromium and fonts-nanum present"; exit 0; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "ci: installed ${need[*]}"
