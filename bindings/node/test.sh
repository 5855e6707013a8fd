#!/usr/bin/env bash
# Builds the Node binding and runs its tests against tether-test-server.
#   TETHER_PREFIX=/work/stage TETHER_TEST_SERVER=/work/stage/bin/tether-test-server bindings/node/test.sh
set -euo pipefail
cd "$(dirname "$0")"

: "${TETHER_PREFIX:?set TETHER_PREFIX to the tether install prefix (with lib/ and include/)}"
: "${TETHER_TEST_SERVER:?set TETHER_TEST_SERVER to the tether-test-server binary}"
[ -x "$TETHER_TEST_SERVER" ] || { echo "TETHER_TEST_SERVER=$TETHER_TEST_SERVER is not executable" >&2; exit 1; }
export TETHER_PREFIX TETHER_TEST_SERVER

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

step "build the addon"
npm run --silent build

step "typecheck index.d.ts and the TypeScript example"
npx tsc --noEmit -p tsconfig.json
echo "tsc: ok"

step "node --test"
node --test --test-reporter=spec test/*.test.js
