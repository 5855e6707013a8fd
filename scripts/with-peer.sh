#!/usr/bin/env bash
# Runs a command next to one of the test peers, on loopback:
#   scripts/with-peer.sh PEER COMMAND [ARGS...]
# PEER is a file of tests/peers without .js (socketio, phoenix, pusher, ...), signalr (the
# ASP.NET Core hub) or test-server (tests/server's tether-test-server). Every "@PEER" in the
# arguments becomes ws://127.0.0.1:PORT of the started peer. The peer stops when the command
# ends; the command's exit status is the script's. The README's provider examples use it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: scripts/with-peer.sh PEER COMMAND [ARGS...]" >&2; exit 2; }
peer="$1"; shift

case "$peer" in
  test-server)
    server="${TETHER_TEST_SERVER:-$root/build/tests/server/tether-test-server}"
    command=("$server"); port_key=ws ;;
  signalr)
    command=(dotnet "$root/tests/peers/signalr/bin/SignalrPeer.dll"); port_key=port ;;
  *)
    [ -f "$root/tests/peers/$peer.js" ] || { echo "with-peer: no peer '$peer' in tests/peers" >&2; exit 2; }
    [ -d "$root/tests/peers/node_modules" ] || { echo "with-peer: run scripts/build-peers.sh first" >&2; exit 2; }
    command=(node "$root/tests/peers/$peer.js"); port_key=port ;;
esac

work="$(mktemp -d)"
trap 'exec 3>&- 2>/dev/null || true; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkfifo "$work/stdin"
# The peer exits when its stdin ends: this script holds the pipe open until it is done.
"${command[@]}" <"$work/stdin" >"$work/stdout" 2>"$work/stderr" &
pid=$!
exec 3>"$work/stdin"

port=""
for _ in $(seq 1 300); do
  if [ -s "$work/stdout" ]; then
    port="$(head -n1 "$work/stdout" | sed -n "s/.*\"$port_key\":\([0-9]*\).*/\1/p")"
    [ -n "$port" ] && break
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; echo "with-peer: $peer exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/stderr" >&2; echo "with-peer: $peer printed no port" >&2; exit 1; }

args=()
for arg in "$@"; do args+=("${arg//@PEER/ws://127.0.0.1:$port}"); done
status=0
"${args[@]}" </dev/null || status=$?
exit "$status"
