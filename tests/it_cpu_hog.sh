#!/usr/bin/env bash
# it_cpu_hog.sh — the whole suite again, with every core saturated by another
# program (the long test, label "long", that tests/run.sh runs after the
# others). It keeps the suite and the quickstart (it_quickstart runs
# deploy/quickstart.sh) independent of machine speed: a test that waits on a
# clock instead of a condition fails here first.
#
# usage: it_cpu_hog.sh BUILD_DIR
# GS_HOG_TESTS=REGEX narrows the suite to the tests it matches (ctest -R).
set -euo pipefail

build=$(cd "$1" && pwd)
command -v stress-ng >/dev/null || { echo "FAIL: stress-ng is missing (tests/run.sh installs it)" >&2; exit 1; }
command -v ctest >/dev/null || { echo "FAIL: ctest is missing" >&2; exit 1; }

cores=$(nproc)
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-cpuhog-XXXXXX")
hog=
cleanup() {
  if [ -n "$hog" ]; then
    kill -TERM -- "-$hog" 2>/dev/null || true
    wait "$hog" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# One busy worker per core, in its own process group so that every worker
# goes with it; bounded in time in case this script is killed outright.
setsid stress-ng --cpu "$cores" --timeout 7200s --quiet &
hog=$!
# The hog is on when its workers are: one stress-ng per core besides the parent.
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
workers_up() { [ "$(pgrep -c -g "$hog" stress-ng || true)" -gt "$cores" ]; }
wait_until 120 "stress-ng started one worker per core" workers_up
echo "ok   $cores stress-ng workers hold every core (load $(cut -d' ' -f1-3 /proc/loadavg))"

# Every other test, in the same build, with the same parallelism as tests/run.sh.
# it_package builds and installs the Release package: nothing in it waits on
# a clock, and one install on the machine per run is enough.
select=(-LE long -E '^it_package$')
[ -z "${GS_HOG_TESTS:-}" ] || select+=(-R "$GS_HOG_TESTS")
status=0
ctest --test-dir "$build" "${select[@]}" -j "$cores" --output-on-failure \
  --output-log "$work/ctest.log" || status=$?
echo "     load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "tests passed|tests failed" "$work/ctest.log" || true
if [ $status -ne 0 ]; then
  echo "FAIL: the suite failed with every core busy" >&2
  exit 1
fi
if [ -n "${GS_HOG_TESTS:-}" ]; then
  echo "ok   the tests matching $GS_HOG_TESTS passed with every core busy"
else
  echo "ok   the whole suite, the quickstart among it, passed with every core busy"
fi
