#!/usr/bin/env bash
# Builds systore (installing what is missing first). Usage: scripts/build.sh [release|asan]
# release -> build/, asan -> build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
flavour="${1:-release}"
case "$flavour" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYSTORE_BUILD_PYTHON=ON
           "-DPython_EXECUTABLE=$ROOT/.venv/bin/python") ;;  # + python/systore/_systore*.so
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=Debug -DSYSTORE_SANITIZE=ON -DSYSTORE_BUILD_BENCHMARKS=OFF) ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
# (Re)configure when new, or when the cache predates a flag (a build dir from before the
# Python extension existed).
if [ ! -f "$dir/build.ninja" ] || { [ "$flavour" = release ] && ! grep -q "^SYSTORE_BUILD_PYTHON:BOOL=ON" "$dir/CMakeCache.txt"; }; then
  cmake -S . -B "$dir" -G Ninja "${flags[@]}"
fi
ninja -C "$dir" -j "${SYSTORE_JOBS:-2}"
