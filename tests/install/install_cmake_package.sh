#!/bin/sh
# install_cmake_package: installs the build into a fresh prefix, then configures, builds and runs
# a small project that uses find_package(tether) and links tether::tether.
#   install_cmake_package.sh CMAKE GENERATOR C_COMPILER BUILD_DIR VERSION SOURCE
set -u
cmake=$1 generator=$2 cc=$3 build=$4 version=$5 source=$6

work=$(mktemp -d "${TMPDIR:-/tmp}/tether-install-cmake.XXXXXX") || exit 1
prefix=$work/prefix
fail() {
    echo "FAIL: $*" >&2
    echo "(kept for inspection: $work)" >&2
    exit 1
}

if ! "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    cat "$work/install.log" >&2
    fail "cmake --install $build --prefix $prefix failed (is every target built?)"
fi

mkdir -p "$work/consumer"
cp "$source" "$work/consumer/main.c"
cat >"$work/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(tether_consumer LANGUAGES C)

# The version file must refuse another major version (the SONAME changes with it).
function(expect_major_mismatch)
  find_package(tether 1 QUIET)
  if(tether_FOUND)
    message(FATAL_ERROR "find_package(tether 1) accepted version \${tether_VERSION}")
  endif()
endfunction()
expect_major_mismatch()

find_package(tether $version REQUIRED)
if(NOT tether_VERSION STREQUAL "$version")
  message(FATAL_ERROR "found tether \${tether_VERSION}, expected $version")
endif()
string(FIND "\${tether_DIR}" "$prefix/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "found tether in \${tether_DIR}, not in the test prefix $prefix")
endif()
if(NOT TARGET tether::tether)
  message(FATAL_ERROR "find_package(tether) did not define the target tether::tether")
endif()
get_target_property(type tether::tether TYPE)
if(NOT type STREQUAL "SHARED_LIBRARY")
  message(FATAL_ERROR "tether::tether is a \${type}, expected a SHARED_LIBRARY")
endif()

add_executable(app main.c)
target_link_libraries(app PRIVATE tether::tether)
CMAKE

"$cmake" -S "$work/consumer" -B "$work/consumer/build" -G "$generator" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF ||
    fail "configuring the find_package(tether) project failed"
"$cmake" --build "$work/consumer/build" || fail "building the find_package(tether) project failed"
# No LD_LIBRARY_PATH: the imported target must be enough to find the library (build-tree RPATH).
"$work/consumer/build/app" || fail "the program linked with tether::tether failed"

rm -rf "$work"
echo "PASS"
