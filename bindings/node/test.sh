#!/usr/bin/env bash
# Builds the Node binding and runs its tests against tether-test-server and the real protocol
# servers of tests/peers (socket.io, graphql-ws), which the tests start themselves.
#   TETHER_PREFIX=/work/stage TETHER_TEST_SERVER=/work/stage/bin/tether-test-server bindings/node/test.sh
set -euo pipefail
cd "$(dirname "$0")"

: "${TETHER_PREFIX:?set TETHER_PREFIX to the tether install prefix (with lib/ and include/)}"
: "${TETHER_TEST_SERVER:?set TETHER_TEST_SERVER to the tether-test-server binary}"
[ -x "$TETHER_TEST_SERVER" ] || { echo "TETHER_TEST_SERVER=$TETHER_TEST_SERVER is not executable" >&2; exit 1; }
export TETHER_PREFIX TETHER_TEST_SERVER
# The real protocol servers (socket.io, graphql-ws) of the repository, with their npm packages.
TETHER_PEERS_DIR="${TETHER_PEERS_DIR:-$(cd ../../tests/peers && pwd)}"
[ -d "$TETHER_PEERS_DIR/node_modules/socket.io" ] && [ -d "$TETHER_PEERS_DIR/node_modules/graphql-ws" ] ||
  { echo "the peers' npm packages are missing: run (cd $TETHER_PEERS_DIR && npm ci)" >&2; exit 1; }
export TETHER_PEERS_DIR

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund

step "build the addon"
npm run --silent build

step "typecheck index.d.ts, the TypeScript examples and test/types.ts"
npx tsc --noEmit -p tsconfig.json
echo "tsc: ok"

step "node --test"
node --test --test-reporter=spec test/*.test.js
