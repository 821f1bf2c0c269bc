#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is missing and I am not root: install it (apt-get install chromium) to run e2e tests." >&2
  exit 1
fi
