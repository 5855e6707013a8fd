#!/usr/bin/env bash
# Builds and tests the .NET binding against an installed libtether, the tether test server, the
# real ASP.NET Core SignalR hub of tests/peers/signalr (built by scripts/build-peers.sh) and the
# Phoenix peer tests/peers/phoenix.js (node, with tests/peers' npm packages installed).
#   TETHER_PREFIX       install prefix of libtether (lib/libtether.so)
#   TETHER_TEST_SERVER  path of tether-test-server (default: $TETHER_PREFIX/bin/tether-test-server)
#   TETHER_PEERS_DIR    tether's tests/peers (default: ../../tests/peers from here)
# Then packs the NuGet package and runs the README's two quick starts from it in a fresh console
# app: the echo client against the test server, the SignalR one against the hub.
# One build job at a time (-m:1): the machine's cores are shared.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

: "${TETHER_PREFIX:?set TETHER_PREFIX to the install prefix of libtether}"
TETHER_PREFIX=$(cd "$TETHER_PREFIX" && pwd)
export TETHER_PREFIX
export TETHER_TEST_SERVER="${TETHER_TEST_SERVER:-$TETHER_PREFIX/bin/tether-test-server}"
[[ -x "$TETHER_TEST_SERVER" ]] || { echo "test.sh: no tether-test-server at $TETHER_TEST_SERVER" >&2; exit 1; }
TETHER_PEERS_DIR=$(cd "${TETHER_PEERS_DIR:-$here/../../tests/peers}" && pwd)
export TETHER_PEERS_DIR
signalr_peer="$TETHER_PEERS_DIR/signalr/bin/SignalrPeer.dll"
[[ -f "$signalr_peer" ]] || { echo "test.sh: no SignalR peer at $signalr_peer (run scripts/build-peers.sh)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d /tmp/tether-dotnet-XXXXXX)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
# Starts a server that prints one JSON line with its port(s) first and exits when its stdin ends
# (tether-test-server, the SignalR peer); sets server_pid and server_line. One at a time.
start_server() {
  coproc SERVER { exec "$@"; }
  server_pid=$SERVER_PID
  server_in=${SERVER[1]}
  read -r server_line <&"${SERVER[0]}"
}
stop_server() {
  exec {server_in}>&-  # its stdin ends: it exits
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap cleanup EXIT

echo "== restore"
dotnet restore tests/Tether.Tests -m:1
echo "== build (warnings are errors)"
dotnet build tests/Tether.Tests --no-restore -c Release -m:1
echo "== test"
dotnet test tests/Tether.Tests --no-build -c Release -m:1 --logger "console;verbosity=normal"

echo "== pack"
dotnet pack src/Tether -c Release -m:1 -o "$work/feed"
# Not `unzip -l | grep -q`: grep quits at the match, unzip may die of SIGPIPE, and pipefail fails.
listing=$(unzip -l "$work/feed/Tether.0.1.0.nupkg")
grep -q 'runtimes/linux-x64/native/libtether.so' <<<"$listing" \
  || { echo "test.sh: the package has no runtimes/linux-x64/native/libtether.so" >&2; exit 1; }

echo "== quick starts from the package (fresh console apps)"
# Makes a console app that references the package, with Program.cs = the first C# block after the
# README line $2 (as written), and builds it into $1/out.
make_app() {
  local app=$1 heading=$2
  mkdir -p "$app"
  cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local-feed" value="$work/feed" />
    <add key="machine-offline" value="/opt/nuget/packages" />
  </packageSources>
</configuration>
XML
  cat > "$app/QuickStart.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Tether" Version="0.1.0" />
  </ItemGroup>
</Project>
XML
  awk -v heading="$heading" '$0 == heading {found=1; next}
    found && /^```csharp$/ {on=1; next} on && /^```$/ {exit} on' README.md > "$app/Program.cs"
  [[ -s "$app/Program.cs" ]] || { echo "test.sh: no C# block after '$heading' in README.md" >&2; exit 1; }
  # A private package folder: never a stale Tether from an earlier run.
  dotnet restore "$app" --packages "$work/packages" -m:1
  dotnet build "$app" --no-restore -c Release -m:1 -o "$app/out" -p:RestorePackagesPath="$work/packages"
}

make_app "$work/echo" "## Quick start"
start_server "$TETHER_TEST_SERVER"
port=$(printf '%s' "$server_line" | sed 's/.*"ws":\([0-9]*\).*/\1/')
out=$(cd "$work/echo/out" && timeout 60 dotnet QuickStart.dll "ws://127.0.0.1:$port/echo")
stop_server
printf '%s\n' "$out"
grep -q '^Connected!$' <<<"$out"
grep -q '^Received: {"type":"chat","message":"Hello!"}$' <<<"$out"
grep -q '^Closed: 1000 User logged out$' <<<"$out"

make_app "$work/signalr" "### Quick start: SignalR"
start_server dotnet "$signalr_peer"
port=$(printf '%s' "$server_line" | sed 's/.*"port":\([0-9]*\).*/\1/')
out=$(cd "$work/signalr/out" && timeout 60 dotnet QuickStart.dll "ws://127.0.0.1:$port/hub")
stop_server
printf '%s\n' "$out"
grep -q '^Add(2, 40) = 42$' <<<"$out"
grep -q '^news: {"text":"Hello!"}$' <<<"$out"
grep -q '^Fail: .*HubException: failed on purpose$' <<<"$out"
echo "test.sh: all .NET binding checks passed"
