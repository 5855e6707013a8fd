#!/usr/bin/env bash
# Runs the README's provider examples as written and compares what they print.
#   tests/readme/run-examples.sh README.md [WSCAT]
# An example is a line "$ scripts/with-peer.sh ..." inside a ```sh block; the lines after it, up
# to the next "$ " line or the end of the block, are its expected standard output, exactly.
# WSCAT, when given, replaces "build/examples/tether-wscat" (for a build directory elsewhere).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
readme="$1"
wscat="${2:-}"
cd "$root"

failures=0
count=0
run_one() {
  local command="$1" expected="$2"
  [ -n "$wscat" ] && command="${command//build\/examples\/tether-wscat/$wscat}"
  count=$((count + 1))
  local actual status=0
  actual="$(timeout 60 bash -c "$command" 2>/tmp/tether-readme-stderr.$$)" || status=$?
  if [ "$status" -ne 0 ] || [ "$actual" != "$expected" ]; then
    failures=$((failures + 1))
    echo "FAILED (exit $status): $command"
    echo "--- expected"; printf '%s\n' "$expected"
    echo "--- got"; printf '%s\n' "$actual"
    echo "--- stderr"; cat /tmp/tether-readme-stderr.$$
  else
    echo "ok: $command"
  fi
  rm -f /tmp/tether-readme-stderr.$$
}

in_block=0 command="" expected=""
while IFS= read -r line || [ -n "$line" ]; do
  if [ "$in_block" = 0 ]; then
    [[ "$line" == '```sh'* ]] && in_block=1
    continue
  fi
  if [[ "$line" == '```'* ]] || [[ "$line" == '$ '* ]]; then
    [ -n "$command" ] && run_one "$command" "$expected"
    command="" expected=""
    if [[ "$line" == '```'* ]]; then in_block=0; continue; fi
  fi
  if [[ "$line" == '$ scripts/with-peer.sh '* ]]; then
    command="${line#\$ }"
  elif [ -n "$command" ]; then
    expected+="${expected:+$'\n'}$line"
  fi
done <"$readme"

echo "$count README examples, $failures failed"
[ "$count" -gt 0 ] && [ "$failures" -eq 0 ]
