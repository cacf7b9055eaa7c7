#!/usr/bin/env bash
# The whole test suite: lint and types, the extension's own tests, then pytest (unit, process and
# end-to-end tests in real headless Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";  ruff check host tests bench
echo "== mypy";  mypy
if [ -d node_modules ]; then
  echo "== tsc --checkJs"; npx --no-install tsc -p tsconfig.json
  echo "== node --test";  node --test tests/js/
fi
echo "== schema export"; python -m webbridge.protocol.schema --check
echo "== pytest"
python -m pytest -q "$@"
