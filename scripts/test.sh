#!/usr/bin/env bash
# Set up (if needed), lint, type-check and run the whole test suite, the real-model tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work here).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is missing; the browser tests will skip (sudo apt-get install chromium)"
  fi
fi
# The PostgreSQL tests start a throwaway server from Debian's binaries (tests/pg_server.py).
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "note: postgresql is missing; the PostgreSQL tests will skip (sudo apt-get install postgresql)"
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy rag ingest ui eval
.venv/bin/lint-imports
mkdir -p test-output
.venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=test-output/junit.xml "$@"
