#!/bin/sh
# install_pkgconfig: installs the build into a fresh prefix, then builds and runs a C program with
# nothing but the flags that pkg-config gives for tether.
#   install_pkgconfig.sh CMAKE BUILD_DIR LIBDIR VERSION SOURCE [CC]
set -u
cmake=$1 build=$2 libdir=$3 version=$4 source=$5 cc=${6:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/tether-install-pkgconfig.XXXXXX") || exit 1
prefix=$work/prefix
fail() {
    echo "FAIL: $*" >&2
    echo "(kept for inspection: $work)" >&2
    exit 1
}
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: pkg-config is not installed"; exit 77; }

if ! "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    fail "cmake --install $build --prefix $prefix failed (is every target built?)"
fi

pcdir=$prefix/$libdir/pkgconfig
[ -f "$pcdir/tether.pc" ] || fail "$pcdir/tether.pc was not installed"
for f in "$prefix/include/tether.h" "$prefix/$libdir/libtether.so" \
         "$prefix/$libdir/libtether.so.0"; do
    [ -e "$f" ] || fail "$f was not installed"
done

export PKG_CONFIG_PATH="$pcdir"
modversion=$(pkg-config --modversion tether) || fail "pkg-config cannot read $pcdir/tether.pc"
[ "$modversion" = "$version" ] ||
    fail "pkg-config --modversion says '$modversion', the project is $version"
flags=$(pkg-config --cflags --libs tether) || fail "pkg-config --cflags --libs tether failed"
echo "pkg-config --cflags --libs tether: $flags"
case "$flags" in
    *"-I$prefix/include"*) ;;
    *) fail "the Cflags do not point into $prefix (stale prefix in tether.pc?)" ;;
esac
case "$flags" in
    *"-L$prefix/$libdir"*) ;;
    *) fail "the Libs do not point into $prefix (stale prefix in tether.pc?)" ;;
esac

# shellcheck disable=SC2086 # the flags are meant to split into words
"$cc" -o "$work/version_check" "$source" $flags || fail "compiling with the pkg-config flags failed"
LD_LIBRARY_PATH="$prefix/$libdir" "$work/version_check" ||
    fail "the program built against the installed tether failed"

# The installed tool must run from the prefix as it is, without LD_LIBRARY_PATH (relative RPATH).
if [ -e "$prefix/bin/tether-wscat" ]; then
    "$prefix/bin/tether-wscat" --version ||
        fail "the installed $prefix/bin/tether-wscat does not run without LD_LIBRARY_PATH"
fi

rm -rf "$work"
echo "PASS"
