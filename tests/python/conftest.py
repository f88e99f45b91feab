import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"


def csv_sim_data():
    """pysystemtrade's own csvFuturesSimData over ../shared/data (pysystemtrade on sys.path)."""
    from sysdata.sim.csv_futures_sim_data import csvFuturesSimData
    d = SHARED_DATA
    return csvFuturesSimData(csv_data_paths=dict(
        csvFuturesAdjustedPricesData=f"{d}/adjusted_prices_csv",
        csvFuturesMultiplePricesData=f"{d}/multiple_prices_csv",
        csvFxPricesData=f"{d}/fx_prices_csv",
        csvFuturesInstrumentData=f"{d}/csvconfig",
        csvRollParametersData=f"{d}/csvconfig",
        csvSpreadCostData=f"{d}/csvconfig"))


@pytest.fixture(scope="session")
def systore_bin():
    path = os.environ.get("SYSTORE_BIN", str(REPO / "build" / "tools" / "systore" / "systore"))
    assert os.path.exists(path), f"build systore first (scripts/build.sh): {path}"
    return path


@pytest.fixture
def run(systore_bin, tmp_path):
    """Runs `systore --root <tmp> ARGS...`; returns CompletedProcess (never raises)."""
    root = tmp_path / "store"

    def _run(*args, check=True):
        p = subprocess.run([systore_bin, "--root", str(root), *args], capture_output=True, text=True)
        if check:
            assert p.returncode == 0, f"systore {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}"
        return p

    _run.root = root
    return _run


# The Python package: the source tree's python/ (the extension is built into it by
# scripts/build.sh) unless systore is installed in the environment.
import sys as _sys  # noqa: E402

try:
    import systore as _probe  # noqa: F401
except ImportError:
    _sys.path.insert(0, str(REPO / "python"))
