#!/usr/bin/env bash
# The demo: builds tether and runs its example client, tether-wscat, against the built-in test
# server on loopback. No internet needed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTETHER_BUILD_EXAMPLES=ON -DTETHER_BUILD_TESTS=ON >/dev/null
cmake --build build --target tether tether-wscat tether-test-server

wscat=build/examples/tether-wscat

# The server prints one JSON line with its ports, then serves until its stdin closes.
coproc SERVER { exec build/tests/server/tether-test-server; }
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
read -r ports <&"${SERVER[0]}"
field() { sed -E "s/.*\"$1\":(\"([^\"]*)\"|([0-9]+)).*/\2\3/" <<<"$ports"; }
ws=$(field ws)
wss=$(field wss)
ca=$(field ca_file)

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "Echo: send two messages, print the replies" \
     "tether-wscat --send hello --send '{\"type\":\"chat\",\"message\":\"Hello!\"}' --count 2 ws://127.0.0.1:$ws/echo"
"$wscat" --send hello --send '{"type":"chat","message":"Hello!"}' --count 2 "ws://127.0.0.1:$ws/echo"

step "Query-parameter auth (the token comes from \$TETHER_TOKEN and is never printed)" \
     "TETHER_TOKEN=demo-token tether-wscat --auth-method query-param --send 'authenticated!' --count 1 ws://127.0.0.1:$ws/auth/query?..."
TETHER_TOKEN=demo-token "$wscat" --auth-method query-param --send 'authenticated!' --count 1 \
    "ws://127.0.0.1:$ws/auth/query?param=token&expect=demo-token"

step "Resilience: the server drops the first two connections; tether reconnects with backoff" \
     "tether-wscat --option reconnectDelay=200 --count 3 ws://127.0.0.1:$ws/flaky?key=demo&fail_first=2"
"$wscat" --option reconnectDelay=200 --count 3 "ws://127.0.0.1:$ws/flaky?key=demo&fail_first=2"

step "TLS: wss:// verified against the test server's CA" \
     "tether-wscat --ca-file ca.pem --send 'over TLS' --count 1 wss://localhost:$wss/echo"
"$wscat" --ca-file "$ca" --send 'over TLS' --count 1 "wss://localhost:$wss/echo"

step "A refused certificate is a clear error (no --ca-file: the system store does not trust it)" \
     "tether-wscat --count 1 wss://localhost:$wss/echo"
"$wscat" --count 1 "wss://localhost:$wss/echo" || echo "(exit status $?, as expected)"

printf '\nDemo finished. Try it yourself: %s ws://127.0.0.1:PORT/echo (see tests/server/README.md)\n' "$wscat"
