#!/usr/bin/env bash
# Everything a fresh machine needs to run WebBridge from this checkout, idempotent:
# Debian's Chromium (never a browser download), a virtualenv in .venv with the package and its test tools,
# and the extension's type-checking tools from npm.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install chromium' (Debian/Ubuntu) and try again." >&2
    exit 1
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

if command -v npm >/dev/null 2>&1 && [ -f package.json ]; then
  if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
fi
echo "setup done: $(.venv/bin/webbridge --version), $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
