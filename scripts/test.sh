#!/usr/bin/env bash
# Runs every test: C++ unit/integration tests (ctest), the interoperability tests
# (pyarrow, deltalake read our tables; pytest), and the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Installs and builds what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "== build (release)"
bash scripts/build.sh release
echo "== FerretDB (the MongoDB-wire server the MongoDB backend is tested against)"
SYSTORE_FERRETDB="$(bash scripts/ferretdb.sh | tail -n 1)"
export SYSTORE_FERRETDB
echo "== SeaweedFS (the S3-compatible server the offsite backup tier is tested against)"
bash scripts/seaweedfs.sh | tail -n 1
echo "== ctest (release)"
(cd build && ctest --output-on-failure)

echo "== pytest (interoperability, the Python package, the pysystemtrade backtest)"
SYSTORE_BIN="$ROOT/build/tools/systore/systore" .venv/bin/python -m pytest -q -rs tests/python

echo "== pip install . into a fresh venv (the package as users install it)"
bash scripts/test_pip_install.sh

if [ "${SYSTORE_SKIP_ASAN:-0}" != "1" ]; then
  echo "== build (asan+ubsan)"
  bash scripts/build.sh asan
  echo "== ctest (asan+ubsan)"
  # Arrow's jemalloc pool does not mix with ASan; the system allocator is checked instead.
  (cd build-asan && ARROW_DEFAULT_MEMORY_POOL=system \
     ASAN_OPTIONS=detect_leaks=1:detect_container_overflow=0 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     SYSTORE_CRASH_KILLS=10 ctest --output-on-failure -L unit)
else
  echo "== asan build skipped: SYSTORE_SKIP_ASAN=1"
fi
