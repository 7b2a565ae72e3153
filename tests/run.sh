#!/usr/bin/env bash
# tests/run.sh — the one test command (README, .ci/run).
# Installs what is missing (Debian 12: apt-get update once, then install; sudo
# when not root; nothing when everything is there), builds with
# AddressSanitizer + UndefinedBehaviorSanitizer in a fresh build folder and
# runs every test, then the long one (the suite again with every core busy).
# Exits non-zero on any failure.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

# Debian packages the build and the tests need.
packages=(build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev
          libsodium-dev libzmq3-dev libsqlite3-dev libjansson-dev libinih-dev
          libcmocka-dev sqlite3 python3 jq tzdata libmicrohttpd-dev curl libxml2-utils
          stress-ng)
# The service and the package (deploy/): sd_notify, man pages, the .deb
# (dpkg-shlibdeps needs file), and what it_package.sh checks it with.
packages+=(libsystemd-dev scdoc systemd dpkg-dev file man-db procps)
# The PostgreSQL store (issue 13): libpq to build; the server for the _pg
# tests, whose throwaway cluster ctest starts and stops (fixture pg_cluster:
# tests/pg_cluster.sh, initdb in a temporary folder as an unprivileged user,
# a Unix socket only).
packages+=(libpq-dev postgresql)
# The HTML report is checked in headless Chromium (tests/it_report_html.sh);
# node and npm only when no node is installed some other way.
packages+=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${missing[*]}" >&2
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "tests/run.sh: need root or sudo to install ${missing[*]}" >&2; exit 2; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

# playwright-core, pinned by tests/browser/package-lock.json.
[ -d tests/browser/node_modules ] || npm ci --prefix tests/browser --no-audit --no-fund

build=${GIAMSAT_TEST_BUILD:-$top/build-test}
rm -rf "$build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DGIAMSAT_SANITIZE=ON -DGIAMSAT_WERROR=ON
cmake --build "$build" -j "$(nproc)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" -LE long
# Then the long test: the same suite with every core saturated by stress-ng
# (tests/it_cpu_hog.sh). GIAMSAT_SKIP_LONG=1 leaves it out of a developer's run.
if [ -z "${GIAMSAT_SKIP_LONG:-}" ]; then
  ctest --output-on-failure -L long
fi
