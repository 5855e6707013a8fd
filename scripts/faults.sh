#!/usr/bin/env bash
# The long fault run of issue 9: 1,000 forced disconnects under traffic through the fault proxy
# (tests/faults), once through the connection manager (/json, a subscription, publishes) and once
# through plain sends to /echo, then every single-fault test once.
#   scripts/faults.sh          # 1,000 disconnects per path (about two minutes)
#   scripts/faults.sh 5000     # another count
# The test command (ctest -L faults) runs the short version: 100 disconnects per path.
# Prints the counts: faults injected, messages delivered, failed, lost with their connection,
# and the ones that must be zero (silently lost, duplicated, out of order).
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-1000}
build=${TETHER_FAULTS_BUILD:-build-faults}

scripts/install-deps.sh >/dev/null
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTETHER_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target tether_fault_tests tether-test-server

echo "== $cycles forced disconnects under traffic, per path"
TETHER_FAULT_CYCLES="$cycles" "$build"/tests/faults/tether_fault_tests "[long]"
echo "== each fault once"
"$build"/tests/faults/tether_fault_tests "[faults]~[churn]"
