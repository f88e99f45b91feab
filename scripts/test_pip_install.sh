#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment, then a smoke test of the installed
# package from outside the source tree (its own extension, linked to that venv's pyarrow).
# Run by scripts/test.sh; the build is kept in build-pip/ between runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TMPDIR:-/tmp}/systore-pip-venv-$$"
trap 'rm -rf "$VENV"' EXIT
python3 -m venv "$VENV"
echo "pip-install: pip install $ROOT into a fresh venv (builds the C++ libraries and the extension; minutes on first run)"
CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$VENV/bin/python" -m pip install -q "$ROOT"
cd "$VENV"  # not the source tree: the import must find the installed package
"$VENV/bin/python" - <<'PY'
import os, sys, tempfile
import pandas as pd, pyarrow as pa
import systore
assert systore.__file__.startswith(sys.prefix), f"imported {systore.__file__}, not the installed package"
assert systore._systore.ARROW_VERSION == pa.__version__ == systore.REQUIRED_PYARROW
root = tempfile.mkdtemp()
st = systore.open(root)
df = pd.DataFrame({"price": [0.1 + 0.2, 5e-324, -0.0]}, index=pd.date_range("2024-01-01", periods=3))
st.timeseries.write("prices/adjusted", "X", df)
back = st.timeseries.read("prices/adjusted", "X")
assert back["price"].to_numpy().tobytes() == df["price"].to_numpy().tobytes()
oid = st.operational.add_order("S", "X", 1)
assert st.operational.apply_fill(oid, 1, 100.0, exec_id="e1")["strategy_position"] == 1
try:
    st.timeseries.read("prices/adjusted", "nope")
except systore.NotFound as e:
    assert "nope" in str(e)
else:
    raise AssertionError("NotFound expected")
print(f"pip-install: ok ({systore.__file__})")
PY
