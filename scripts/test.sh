#!/usr/bin/env bash
# Runs every test of the project: generated-code freshness, type check, lint, the TypeScript suites
# (node --test) and the training suite (pytest). Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
run() { echo "== $*"; "$@" || status=1; }

run pnpm run build
run pnpm run lint
run node scripts/run-node-tests.mjs
if [ -d training ]; then run bash scripts/test-python.sh; fi
exit $status
