#!/usr/bin/env bash
# The test command: installs what is missing, builds once, runs every test.
#   1. a normal build (RelWithDebInfo): every ctest test (unit, server, C ABI, install, examples)
#   2. an ASan + UBSan build: every C++ test again
#   3. a TSan build: the C ABI and protocol tests (threads, lifetime, reconnects)
# ccache makes repeated runs cheap. Set TETHER_SKIP_SANITIZERS=1 for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

scripts/install-deps.sh

# Tests open thousands of sockets (10,000 idle connections); raise the soft limit if allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

section() { printf '\n==== %s ====\n' "$*"; }

section "test peers"
scripts/build-peers.sh

section "build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTETHER_BUILD_EXAMPLES=ON -DTETHER_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$jobs"

section "tests"
ctest --test-dir build --output-on-failure -j"$jobs"

section "bindings"
# Each binding tests against an installed tree, as its users would have it.
cmake --install build --prefix "$root/build/stage" >/dev/null
export TETHER_PREFIX="$root/build/stage"
export TETHER_TEST_SERVER="$root/build/tests/server/tether-test-server"
export PATH="$PATH:${HOME:-/root}/.cargo/bin"   # rustup's cargo, where the machine has it
for binding_test in bindings/*/test.sh; do
  [ -x "$binding_test" ] || continue
  section "$(dirname "$binding_test")"
  "$binding_test"
done

if [ "${TETHER_SKIP_SANITIZERS:-0}" != 1 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

  section "ASan + UBSan build"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=address,undefined \
        -DTETHER_BUILD_EXAMPLES=OFF -DTETHER_PREBUILT_TEST_SERVER="$TETHER_TEST_SERVER" >/dev/null
  cmake --build build-asan -j"$jobs"
  section "tests under ASan + UBSan"
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE "install|scale"

  section "TSan build"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTETHER_SANITIZE=thread \
        -DTETHER_BUILD_EXAMPLES=OFF -DTETHER_PREBUILT_TEST_SERVER="$TETHER_TEST_SERVER" >/dev/null
  cmake --build build-tsan -j"$jobs" --target tether_client_tests tether_protocol_tests
  section "C ABI and protocol tests under TSan"
  ctest --test-dir build-tsan --output-on-failure -j"$jobs" -L "client|protocol"
fi

section "fuzzing (10 s per target; scripts/fuzz.sh SECONDS for longer)"
scripts/fuzz.sh 10

section "done"
echo "all tests passed"
