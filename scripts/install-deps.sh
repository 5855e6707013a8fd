#!/usr/bin/env bash
# Installs the Debian packages that tether needs to build and test. Safe to run again: it only
# calls apt-get when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libssl-dev ca-certificates
  catch2          # C++ tests
  tinyproxy       # the HTTP CONNECT proxy the proxy tests tunnel through
  valgrind        # memcheck of the C examples (scripts/valgrind-examples.sh)
  golang-go       # the Go binding (cgo); Rust (cargo), Node (npm) and .NET come with the machine
  python3-websockets python3-autobahn   # independent servers of the conformance tests
  clang-14 libclang-rt-14-dev   # libFuzzer targets (scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
