#!/usr/bin/env bash
# Vets and tests the Go binding against an installed libtether and the tether test server.
#   TETHER_PREFIX       install prefix of libtether (lib/, include/, lib/pkgconfig/)
#   TETHER_TEST_SERVER  path of tether-test-server (default: $TETHER_PREFIX/bin/tether-test-server)
#   TETHER_PEERS_DIR    the repository's tests/peers with its npm packages installed
#                       (default: ../../tests/peers); node runs them (NODE, default: node)
#   GOFLAGS             passed on, e.g. GOFLAGS=-p=1 to build one package at a time
# Nothing is downloaded: the module has no dependencies and GOPROXY is off.
set -euo pipefail
cd "$(dirname "$0")"

: "${TETHER_PREFIX:?set TETHER_PREFIX to the install prefix of libtether}"
TETHER_PREFIX=$(cd "$TETHER_PREFIX" && pwd)
export TETHER_TEST_SERVER="${TETHER_TEST_SERVER:-$TETHER_PREFIX/bin/tether-test-server}"
[[ -x "$TETHER_TEST_SERVER" ]] || { echo "test.sh: no tether-test-server at $TETHER_TEST_SERVER" >&2; exit 1; }
TETHER_PEERS_DIR=$(cd "${TETHER_PEERS_DIR:-../../tests/peers}" && pwd)
export TETHER_PEERS_DIR NODE="${NODE:-node}"
[[ -d "$TETHER_PEERS_DIR/node_modules" ]] || { echo "test.sh: no npm packages in $TETHER_PEERS_DIR (npm ci --prefix $TETHER_PEERS_DIR)" >&2; exit 1; }
command -v "$NODE" >/dev/null || { echo "test.sh: node not found (set NODE)" >&2; exit 1; }

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

# run_example EXAMPLE PORT_KEY PATH COMMAND...: starts COMMAND, which prints its ports as JSON on
# its first line, runs examples/EXAMPLE against ws://127.0.0.1:<port PORT_KEY><PATH> as the
# README shows, prints what it printed, and stops COMMAND. The servers also end when their
# stdin, the coprocess pipe, closes: nothing outlives the script.
run_example() {
	local example=$1 key=$2 path=$3 line port status=0
	shift 3
	coproc SERVICE { exec "$@" 2>/dev/null; }
	local pid=$SERVICE_PID # bash unsets SERVICE_PID once the coprocess ends
	read -r line <&"${SERVICE[0]}" || true
	port=$(printf '%s' "$line" | sed -n "s/.*\"$key\":\([0-9]*\).*/\1/p")
	if [[ -n "$port" ]]; then
		go run "./examples/$example" "ws://127.0.0.1:$port$path" || status=$?
	else
		echo "test.sh: $1 printed no $key port (${line:-nothing})" >&2
		status=1
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return "$status"
}

echo "== quick start (README)"
OUT=$(run_example quickstart ws /echo "$TETHER_TEST_SERVER")
printf '%s\n' "$OUT"
grep -q '^Received: {"message":"Hello!","type":"chat"}$' <<<"$OUT"
grep -q '^Closed: 1000 ' <<<"$OUT"

echo "== providers (README): examples/socketio against a real Socket.IO server"
OUT=$(run_example socketio port /socket.io/ "$NODE" "$TETHER_PEERS_DIR/socketio.js")
printf '%s\n' "$OUT"
grep -q '^chat: {"text":"Hello!"}$' <<<"$OUT"
grep -q '^add(2, 40) = 42$' <<<"$OUT"
echo "test.sh: all Go binding checks passed"
