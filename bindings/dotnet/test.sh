#!/usr/bin/env bash
# Builds and tests the .NET binding against an installed libtether and the tether test server.
#   TETHER_PREFIX       install prefix of libtether (lib/libtether.so)
#   TETHER_TEST_SERVER  path of tether-test-server (default: $TETHER_PREFIX/bin/tether-test-server)
# Then packs the NuGet package and runs the README's quick start from it in a fresh console app.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

: "${TETHER_PREFIX:?set TETHER_PREFIX to the install prefix of libtether}"
TETHER_PREFIX=$(cd "$TETHER_PREFIX" && pwd)
export TETHER_PREFIX
export TETHER_TEST_SERVER="${TETHER_TEST_SERVER:-$TETHER_PREFIX/bin/tether-test-server}"
[[ -x "$TETHER_TEST_SERVER" ]] || { echo "test.sh: no tether-test-server at $TETHER_TEST_SERVER" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d /tmp/tether-dotnet-XXXXXX)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== restore"
dotnet restore tests/Tether.Tests
echo "== build (warnings are errors)"
dotnet build tests/Tether.Tests --no-restore -c Release
echo "== test"
dotnet test tests/Tether.Tests --no-build -c Release --logger "console;verbosity=normal"

echo "== pack"
dotnet pack src/Tether -c Release -o "$work/feed"
# Not `unzip -l | grep -q`: grep quits at the match, unzip may die of SIGPIPE, and pipefail fails.
listing=$(unzip -l "$work/feed/Tether.0.1.0.nupkg")
grep -q 'runtimes/linux-x64/native/libtether.so' <<<"$listing" \
  || { echo "test.sh: the package has no runtimes/linux-x64/native/libtether.so" >&2; exit 1; }

echo "== quick start from the package (fresh console app)"
app="$work/app"
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
# Program.cs is the README's C# block, as written.
awk '/^```csharp$/{on=1; next} /^```$/{if (on) exit} on' README.md > "$app/Program.cs"
[[ -s "$app/Program.cs" ]] || { echo "test.sh: no C# quick start in README.md" >&2; exit 1; }
# A private package folder: never a stale Tether from an earlier run.
dotnet restore "$app" --packages "$work/packages"
dotnet build "$app" --no-restore -c Release -o "$app/out" -p:RestorePackagesPath="$work/packages"

coproc SERVER { exec "$TETHER_TEST_SERVER"; }
server_pid=$SERVER_PID
read -r line <&"${SERVER[0]}"
port=$(printf '%s' "$line" | sed 's/.*"ws":\([0-9]*\).*/\1/')
out=$(cd "$app/out" && timeout 60 dotnet QuickStart.dll "ws://127.0.0.1:$port/echo")
printf '%s\n' "$out"
grep -q '^Connected!$' <<<"$out"
grep -q '^Received: {"type":"chat","message":"Hello!"}$' <<<"$out"
grep -q '^Closed: 1000 User logged out$' <<<"$out"
echo "test.sh: all .NET binding checks passed"
