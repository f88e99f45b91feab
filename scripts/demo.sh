#!/usr/bin/env bash
# The main job: builds if needed, then runs `systore demo` (C++ stores, CLI) and the
# Python side (`python -m systore.demo`) on the same fresh store root.
# Extra arguments go to `systore demo`, e.g. scripts/demo.sh --data ../shared/data
# (with real data the Python part also runs pysystemtrade's backtest on systore).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
echo "== build (installs what is missing on first use; see docs/building.md)"
bash "$ROOT/scripts/build.sh" release >/dev/null
STORE="${SYSTORE_ROOT:-$ROOT/systore-data}"
if [ -d "$STORE" ] && [ -n "$(ls -A "$STORE" 2>/dev/null)" ]; then
  STORE="$STORE/demo-$(date +%s)"
fi
"$ROOT/build/tools/systore/systore" --root "$STORE" demo "$@"
PYSYS=()
for a in "$@"; do
  if [ "$a" = "--data" ] && [ -d "$ROOT/../shared/pysystemtrade" ]; then PYSYS=(--pysystemtrade "$ROOT/../shared/pysystemtrade"); fi
done
echo
echo "== the same store from Python (python -m systore.demo)"
exec "$ROOT/.venv/bin/python" -m systore.demo --root "$STORE" "${PYSYS[@]}"
