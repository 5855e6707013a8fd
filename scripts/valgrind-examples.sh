#!/usr/bin/env bash
# valgrind memcheck of the C examples against tether-test-server: each run fails on any memory
# error or definite leak.
#   scripts/valgrind-examples.sh [BUILD_DIR]      (default: build)
# Binaries: $TETHER_EXAMPLES_DIR (tether-quickstart, tether-echo-poll, tether-wscat) and
# $TETHER_TEST_SERVER, else BUILD_DIR/examples and BUILD_DIR/tests/server.
# Needs valgrind (apt-get install valgrind). Exit status 0 when every run is clean, else 1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
examples="${TETHER_EXAMPLES_DIR:-$build/examples}"
server="${TETHER_TEST_SERVER:-$build/tests/server/tether-test-server}"
command -v valgrind >/dev/null || { echo "valgrind-examples: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
for bin in "$server" "$examples/tether-quickstart" "$examples/tether-echo-poll" "$examples/tether-wscat"; do
  [ -x "$bin" ] || { echo "valgrind-examples: $bin not found; build with -DTETHER_BUILD_EXAMPLES=ON -DTETHER_BUILD_TESTS=ON" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'exec 3>&- 2>/dev/null || true; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
# The server exits when its stdin ends: this script holds the pipe open until it is done.
"$server" <"$work/stdin" >"$work/ports" 2>"$work/server.log" &
pid=$!
exec 3>"$work/stdin"
for _ in $(seq 1 300); do
  [ -s "$work/ports" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "valgrind-examples: the test server exited" >&2; exit 1; }
  sleep 0.1
done
field() { head -n1 "$work/ports" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
ws="ws://127.0.0.1:$(field ws)"
wss="wss://localhost:$(field wss)"
ca="$(field ca_file)"
[ -n "$(field ws)" ] && [ -n "$ca" ] || { echo "valgrind-examples: the test server printed no ports" >&2; exit 1; }

memcheck=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
          --num-callers=40 --suppressions="$root/scripts/valgrind.supp")
passed=0; failed=0
# run NAME EXPECTED_EXIT COMMAND...: 99 means valgrind found an error or a definite leak.
run() {
  local name="$1" expected="$2"; shift 2
  local log="$work/$name.log" status=0
  "${memcheck[@]}" --log-file="$log.vg" "$@" </dev/null >"$log" 2>&1 || status=$?
  if [ "$status" -eq "$expected" ] && ! grep -q "definitely lost: [1-9]" "$log.vg"; then
    passed=$((passed + 1)); echo "ok      $name"
  else
    failed=$((failed + 1))
    echo "FAILED  $name (exit $status, expected $expected$([ "$status" -eq 99 ] && echo ': valgrind errors'))"
    sed 's/^/  | /' "$log" "$log.vg"
  fi
}

run quickstart      0 "$examples/tether-quickstart" "$ws/echo"
run echo-poll       0 "$examples/tether-echo-poll" "$ws/echo" 20
run wscat-echo      0 "$examples/tether-wscat" -q --send hello --send world --count 2 "$ws/echo"
run wscat-tls       0 "$examples/tether-wscat" -q --ca-file "$ca" --send hello --count 1 "$wss/echo"
run wscat-deflate   0 "$examples/tether-wscat" -q --option perMessageDeflate=true --send hello --count 1 "$ws/echo"
# A dropped connection and a reconnect: the first connection of the key is dropped after one echo.
run wscat-reconnect 0 "$examples/tether-wscat" -q --option reconnectDelay=10 \
                    --send one --send two --count 3 "$ws/flaky?key=valgrind&fail_first=1&after_messages=1"
run wscat-manager   0 "$examples/tether-wscat" -q --option protocol=json --send '/subscribe news' \
                    --send '/publish news {"text":"hi"}' --send '/request echo {"x":1}' --count 2 "$ws/json"
# A refused handshake (403: no reconnect) ends with exit status 1.
run wscat-refused   1 "$examples/tether-wscat" -q --no-reconnect --send hi --count 1 "$ws/reject?status=403"

echo "valgrind-examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
