#!/usr/bin/env bash
# Vets and tests the Go binding against an installed libtether and the tether test server.
#   TETHER_PREFIX       install prefix of libtether (lib/, include/, lib/pkgconfig/)
#   TETHER_TEST_SERVER  path of tether-test-server (default: $TETHER_PREFIX/bin/tether-test-server)
# Nothing is downloaded: the module has no dependencies and GOPROXY is off.
set -euo pipefail
cd "$(dirname "$0")"

: "${TETHER_PREFIX:?set TETHER_PREFIX to the install prefix of libtether}"
TETHER_PREFIX=$(cd "$TETHER_PREFIX" && pwd)
export TETHER_TEST_SERVER="${TETHER_TEST_SERVER:-$TETHER_PREFIX/bin/tether-test-server}"
[[ -x "$TETHER_TEST_SERVER" ]] || { echo "test.sh: no tether-test-server at $TETHER_TEST_SERVER" >&2; exit 1; }

export PKG_CONFIG_PATH="$TETHER_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$TETHER_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GOPROXY=off GOFLAGS="${GOFLAGS:-}" CGO_ENABLED=1
# The prefix's own paths, next to pkg-config's: a staged install may carry a tether.pc whose
# prefix is relative (or points elsewhere). The header's hash is part of CGO_CFLAGS, and so of
# Go's build cache key, which does not cover headers outside the package: a changed tether.h
# recompiles the binding instead of reusing a build made against the old one.
[[ -f "$TETHER_PREFIX/include/tether.h" ]] || { echo "test.sh: no $TETHER_PREFIX/include/tether.h" >&2; exit 1; }
HEADER_SUM=$(cksum <"$TETHER_PREFIX/include/tether.h" | cut -d' ' -f1)
export CGO_CFLAGS="-I$TETHER_PREFIX/include -DTETHER_GO_HEADER_SUM=$HEADER_SUM ${CGO_CFLAGS:--O2 -g}"
export CGO_LDFLAGS="-L$TETHER_PREFIX/lib ${CGO_LDFLAGS:--O2 -g}"

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 300s ./...

echo "== quick start (README)"
# The README's quick start, run as written against a server of our own.
coproc SERVER { exec "$TETHER_TEST_SERVER"; }
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
read -r LINE <&"${SERVER[0]}"
PORT=$(printf '%s' "$LINE" | sed 's/.*"ws":\([0-9]*\).*/\1/')
OUT=$(go run ./examples/quickstart "ws://127.0.0.1:$PORT/echo")
printf '%s\n' "$OUT"
grep -q '^Received: {"message":"Hello!","type":"chat"}$' <<<"$OUT"
grep -q '^Closed: 1000 ' <<<"$OUT"
echo "test.sh: all Go binding checks passed"
