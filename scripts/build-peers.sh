#!/usr/bin/env bash
# Makes the protocol peers of tests/peers ready: their npm packages (real socket.io, graphql-ws
# and subscriptions-transport-ws servers, and ws for the protocol-faithful ones) and the
# ASP.NET Core SignalR hub. The C++ protocol tests and the bindings' manager tests start them.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error

if [ -d tests/peers/signalr ]; then
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  dotnet build tests/peers/signalr -c Release -o tests/peers/signalr/bin -nologo -v quiet
fi
