#!/usr/bin/env bash
# The benchmark command (issue 8): builds build-bench, starts the echo server on loopback, runs
# tether's C ABI, raw Boost.Beast and Node's ws in every mode, and prints the tables.
#   scripts/bench.sh            # the full run: 5 runs of each client in each case
#   scripts/bench.sh --quick    # a short run
#   scripts/bench.sh --help     # every option (cases, clients, runs, jobs)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true   # 10,000 connections in the client and the server
exec python3 bench/run.py "$@"
