#!/usr/bin/env bash
# Side-by-side benchmarks: installs the peers (requirements-bench.txt) into .venv,
# builds, then runs bench/compare.py. Arguments go to compare.py, e.g.
#   scripts/bench.sh --tick-rows 100000000 --markdown /tmp/benchmarks.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/build.sh release >/dev/null
if ! cmp -s requirements-bench.txt .venv/.requirements-bench.installed 2>/dev/null; then
  .venv/bin/python -m pip install -q -r requirements-bench.txt
  cp requirements-bench.txt .venv/.requirements-bench.installed
fi
exec .venv/bin/python bench/compare.py "$@"
