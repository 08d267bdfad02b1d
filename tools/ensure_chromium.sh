#!/usr/bin/env bash
# The report tests open the published HTML in a real headless browser (Debian's chromium package).
# Install it when missing and we may (root with apt-get); otherwise say what to install.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v fc-match >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and fontconfig for the browser tests (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fontconfig >/dev/null
  exit 0
fi
echo "error: the browser tests need Debian's chromium and fontconfig packages:" >&2
echo "       sudo apt-get install chromium fontconfig" >&2
exit 1
