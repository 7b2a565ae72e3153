#!/usr/bin/env bash
# deploy/build-deb.sh [BUILD_DIR] — the Debian package, in one command.
# A Release build for prefix /usr (no sanitizers, no tests, warnings not
# errors: a packager's compiler may be newer), then CPack's DEB generator.
# Prints the path of the .deb on the last line. Install it with
#   sudo apt-get install ./giamsat_VERSION_ARCH.deb    (or dpkg -i)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$top/build-deb}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DGIAMSAT_TESTS=OFF -DGIAMSAT_BENCH=OFF -DGIAMSAT_SANITIZE=OFF -DGIAMSAT_MAN=ON >&2
cmake --build "$build" -j "$(nproc)" --target package >&2
ls "$build"/giamsat_*.deb
