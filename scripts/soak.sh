#!/usr/bin/env bash
# Soak: many clients churn (connect, traffic, server-forced drops, reconnect, destroy, recreate)
# against tether-test-server for SECONDS, printing RSS, open fds and threads every 5 s, and fail
# on growth (see tests/soak/soak.c for the rules).
#   scripts/soak.sh SECONDS [CLIENTS]        e.g. scripts/soak.sh 600 32
# Binaries: $TETHER_SOAK and $TETHER_TEST_SERVER, else build/tests/soak/tether-soak and
# build/tests/server/tether-test-server (cmake --build build --target tether-soak tether-test-server).
# Exit status: the soak's (0 pass, 1 growth or another failure, 2 bad arguments).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: scripts/soak.sh SECONDS [CLIENTS]" >&2; exit 2; }
seconds="$1"; clients="${2:-16}"
soak="${TETHER_SOAK:-$root/build/tests/soak/tether-soak}"
server="${TETHER_TEST_SERVER:-$root/build/tests/server/tether-test-server}"
for bin in "$soak" "$server"; do
  [ -x "$bin" ] || { echo "soak: $bin not found; build it: cmake --build build --target tether-soak tether-test-server" >&2; exit 2; }
done

# Each client holds one socket.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The test server runs beside the soak on loopback and stops with it.
TETHER_TEST_SERVER="$server" exec "$root/scripts/with-peer.sh" test-server "$soak" @PEER "$seconds" "$clients"
