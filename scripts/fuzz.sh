#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a while on its seed corpus.
#   scripts/fuzz.sh            # 10 s per target (what the test command runs)
#   scripts/fuzz.sh 600        # 10 minutes per target
# New inputs that raise coverage go to build-fuzz/corpus/<target>; crashes stop the run with the
# reproducer's path. The committed seeds are in tests/fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTETHER_FUZZ=ON \
      -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-fuzz -j"$(nproc)"

for target in url options auth_template message dialects; do
  work="build-fuzz/corpus/$target"
  mkdir -p "$work"
  echo "== fuzz_$target for ${seconds} s"
  log="build-fuzz/fuzz_$target.log"
  status=0
  build-fuzz/tests/fuzz/"fuzz_$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -artifact_prefix="build-fuzz/crash-$target-" -print_final_stats=1 \
      "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    echo "fuzz_$target found a problem (reproducer: build-fuzz/crash-$target-*)"
    exit 1
  fi
done
echo "fuzzing: no findings"
