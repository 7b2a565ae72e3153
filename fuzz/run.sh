#!/usr/bin/env bash
# fuzz/run.sh SECONDS — builds every libFuzzer target with clang in
# build-fuzz, writes the seed corpora from code (fuzz_seeds), runs each
# target for SECONDS (default 60) on build-fuzz/corpus-<name>, and exits
# non-zero if any target found a crash, a leak or a failed check. Crashing
# inputs are kept in build-fuzz/artifacts-<name>/.
set -euo pipefail

secs=${1:-60}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${GIAMSAT_FUZZ_BUILD:-$top/build-fuzz}

command -v clang >/dev/null ||
  { echo "fuzz/run.sh: clang not found: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
# A folder configured with another compiler cannot be switched to clang.
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  rm -rf "$build"
fi
CC=clang cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIAMSAT_FUZZ=ON \
  -DGIAMSAT_TESTS=OFF -DGIAMSAT_BENCH=OFF -DGIAMSAT_MAN=OFF >/dev/null
cmake --build "$build" --target fuzz -j 2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ -x "$build/fuzz/fuzz_seeds" ]; then
  "$build/fuzz/fuzz_seeds" "$build"
fi

failed=()
for exe in "$build"/fuzz/fuzz_*; do
  name=${exe##*/fuzz_}
  [ "$name" = seeds ] && continue
  [ -x "$exe" ] && [ -f "$exe" ] || continue
  corpus=$build/corpus-$name
  artifacts=$build/artifacts-$name
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz/run.sh: $name for ${secs}s"
  if ! "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$corpus" >"$build/fuzz-$name.log" 2>&1; then
    failed+=("$name")
    tail -n 40 "$build/fuzz-$name.log" >&2
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$build/fuzz-$name.log" |
    sed "s/^/  $name /" || true
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run.sh: FAILED: ${failed[*]} (inputs in $build/artifacts-<name>/)" >&2
  exit 1
fi
echo "fuzz/run.sh: no crashes in ${secs}s per target"
