#!/usr/bin/env bash
# Builds and tests the Rust binding against an installed tether.
#
#   TETHER_PREFIX=/usr/local TETHER_TEST_SERVER=/usr/local/bin/tether-test-server ./test.sh
#
# TETHER_PREFIX: an install prefix holding lib/libtether.so, lib/pkgconfig/tether.pc, include/.
# TETHER_TEST_SERVER: the tether-test-server binary the integration tests start.
# TETHER_PEERS_DIR (optional): tether's tests/peers with its npm packages installed (default:
# ../../tests/peers); the provider tests start its servers with node (or $TETHER_NODE).
set -euo pipefail
cd "$(dirname "$0")"

: "${TETHER_PREFIX:?set TETHER_PREFIX to the tether install prefix (holding lib/ and include/)}"
: "${TETHER_TEST_SERVER:?set TETHER_TEST_SERVER to the tether-test-server binary}"
[ -d "$TETHER_PREFIX/lib" ] || { echo "test.sh: $TETHER_PREFIX/lib does not exist" >&2; exit 1; }
[ -x "$TETHER_TEST_SERVER" ] || { echo "test.sh: $TETHER_TEST_SERVER is not an executable" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { echo "test.sh: cargo not found (nor in \$HOME/.cargo/bin)" >&2; exit 1; }

TETHER_PEERS_DIR="${TETHER_PEERS_DIR:-$(cd ../../tests/peers 2>/dev/null && pwd || true)}"
[ -f "${TETHER_PEERS_DIR:-/nonexistent}/socketio.js" ] || { echo "test.sh: set TETHER_PEERS_DIR to tether's tests/peers" >&2; exit 1; }
[ -d "$TETHER_PEERS_DIR/node_modules" ] || { echo "test.sh: run npm ci in $TETHER_PEERS_DIR first" >&2; exit 1; }
command -v "${TETHER_NODE:-node}" >/dev/null 2>&1 || { echo "test.sh: node not found (set TETHER_NODE)" >&2; exit 1; }
export TETHER_PEERS_DIR

export TETHER_LIB_DIR="$TETHER_PREFIX/lib"
export TETHER_INCLUDE_DIR="$TETHER_PREFIX/include"
export PKG_CONFIG_PATH="$TETHER_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export TETHER_TEST_SERVER
# The tests must not depend on the loader path: build.rs writes an rpath.
unset LD_LIBRARY_PATH

step() { printf '\n== %s\n' "$*"; }

step "cargo build"
cargo build --quiet --all-targets

step "cargo test"
# --quiet keeps one line per test binary; cargo's "test result:" summaries still show.
cargo test --quiet --all-targets --no-fail-fast 2>&1
cargo test --quiet --doc 2>&1

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps

if cargo clippy --version >/dev/null 2>&1; then
    step "cargo clippy (warnings are errors)"
    cargo clippy --quiet --all-targets -- -D warnings
else
    step "cargo clippy: not installed, skipped"
fi

step "Rust binding: all steps passed"
