#!/bin/sh
# exported_symbols: libtether.so must export tether_* and nothing else (no Boost, OpenSSL or
# C++ runtime symbols). TETHER_0, the version node of the version script, may show.
#   exported_symbols.sh NM LIBRARY
set -u
nm=${1:-nm} library=$2

if ! listing=$("$nm" -D --defined-only "$library"); then
    echo "FAIL: $nm -D --defined-only $library failed" >&2
    exit 1
fi
# "ADDRESS TYPE NAME[@@VERSION]" -> NAME
names=$(printf '%s\n' "$listing" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' | sort -u)

stray=$(printf '%s\n' "$names" | grep -v -e '^tether_' -e '^TETHER_0$' -e '^$')
exported=$(printf '%s\n' "$names" | grep -c '^tether_')

if [ -n "$stray" ]; then
    echo "FAIL: $library exports symbols outside the tether_ prefix:" >&2
    printf '  %s\n' $stray >&2
    exit 1
fi
if [ "$exported" -eq 0 ]; then
    echo "FAIL: $library exports no tether_ symbol at all" >&2
    exit 1
fi
echo "PASS: $exported symbols, all tether_*"
