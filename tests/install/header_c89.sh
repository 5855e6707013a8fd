#!/bin/sh
# header_c89: tether.h must compile as strict C89 and as C++11 without a warning, and include
# nothing but <stddef.h> and <stdint.h>.
#   header_c89.sh C_COMPILER CXX_COMPILER INCLUDE_DIR SOURCE
set -u
cc=$1 cxx=$2 include=$3 source=$4
status=0

includes=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$include/tether.h" |
           sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//' | sort | tr '\n' ' ')
if [ "$includes" != "<stddef.h> <stdint.h> " ]; then
    echo "FAIL: tether.h includes $includes; only <stddef.h> and <stdint.h> are allowed" >&2
    status=1
fi

echo "C89:   $cc -std=c89 -pedantic ..."
if ! "$cc" -std=c89 -pedantic -Wall -Wextra -Werror -Wstrict-prototypes -fsyntax-only \
        -I"$include" -x c "$source"; then
    echo "FAIL: tether.h does not compile as C89 (-std=c89 -pedantic -Wall -Wextra -Werror)" >&2
    status=1
fi

echo "C++11: $cxx -std=c++11 -pedantic ..."
if ! "$cxx" -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only \
        -I"$include" -x c++ "$source"; then
    echo "FAIL: tether.h does not compile as C++11 (-std=c++11 -pedantic -Wall -Wextra -Werror)" >&2
    status=1
fi

[ "$status" -eq 0 ] && echo "PASS"
exit "$status"
