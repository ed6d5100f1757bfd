#!/usr/bin/env bash
# Set up (if needed), lint, type-check and run the whole test suite, the real-model tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy rag ingest ui eval
mkdir -p test-output
.venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=test-output/junit.xml "$@"
