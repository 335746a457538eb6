#!/usr/bin/env bash
# Runs every test of the project: type check (packages, services, tests, benches, load tests), lint,
# the deploy checks (kustomize render, offline schema validation, manifests vs code, promtool), the k6
# build (cached), the TypeScript suites (node --test: unit, integration with real redis-server,
# processes and sockets, the protocol's generated-code freshness) and the training suite (pytest).
# Assumes scripts/setup.sh has run. Every step runs even when an earlier one fails; the exit status
# is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
run() { echo "== $*"; "$@" || status=1; }

run pnpm run build
run pnpm run typecheck:extras
run pnpm run lint
run pnpm run format:check
run bash deploy/check.sh
run bash loadtest/build-k6.sh
run node scripts/run-node-tests.mjs
if [ -d training ]; then run bash scripts/test-python.sh; fi
exit $status
