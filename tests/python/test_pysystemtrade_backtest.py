"""The external check: pysystemtrade's standard backtest gives the same account curve on
data served by systore as on its own CSVs (../shared/pysystemtrade, ../shared/data)."""
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, SHARED_DATA, csv_sim_data

PYSYS = REPO.parent / "shared" / "pysystemtrade"
INSTRUMENTS = ["US10", "PALLAD", "IBEX", "COFFEE", "JGB-mini"]

pytestmark = pytest.mark.skipif(not (SHARED_DATA.exists() and PYSYS.exists()),
                                reason="../shared/data or ../shared/pysystemtrade not present")


def _backtest(data, instruments):
    from sysdata.config.configdata import Config
    from systems.provided.futures_chapter15.basesystem import futures_system

    config = Config("systems.provided.futures_chapter15.futuresconfig.yaml")
    config.instrument_weights = {i: 1 / len(instruments) for i in instruments}
    for k in ("countries", "asset_classes"):
        if hasattr(config, k):
            delattr(config, k)
    system = futures_system(data=data, config=config)
    return system.accounts.portfolio().as_ts


@pytest.fixture(scope="module")
def pysys(tmp_path_factory):
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", str(tmp_path_factory.mktemp("pysys_private")))
    sys.path.insert(0, str(PYSYS))
    yield
    sys.path.remove(str(PYSYS))


def test_backtest_on_systore_equals_backtest_on_csv(pysys, systore_bin, tmp_path):
    import systore
    from systore.pysystemtrade import systoreFuturesSimData

    root = tmp_path / "store"
    subprocess.run([systore_bin, "--root", str(root), "ingest", "pysystemtrade", str(SHARED_DATA)],
                   check=True, capture_output=True)
    csv_data = csv_sim_data()
    st_data = systoreFuturesSimData(systore.open(str(root)))

    # The data objects agree before the systems do.
    for code in INSTRUMENTS:
        a = csv_data.get_backadjusted_futures_price(code)
        b = st_data.get_backadjusted_futures_price(code)
        assert a.index.equals(b.index), code
        # systore parses decimals correctly rounded (Python's float()); pandas.read_csv's
        # default fast parser can be an ulp off (more, relatively, near zero), so they agree closely, not bit for bit.
        assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-12, equal_nan=True), code
        assert csv_data.get_spread_cost(code) == st_data.get_spread_cost(code)
    assert sorted(csv_data.get_instrument_list()) == sorted(st_data.get_instrument_list())

    pnl_csv = _backtest(csv_data, INSTRUMENTS)
    pnl_st = _backtest(st_data, INSTRUMENTS)
    assert len(pnl_csv) > 1000
    assert pnl_csv.index.equals(pnl_st.index)
    diff = (pnl_csv - pnl_st).abs().max()
    assert diff <= 1e-6, f"account curves differ by up to {diff}"
    assert pnl_csv.abs().sum() > 0  # a real curve, not two empty ones


def test_datablob_keeps_pysystemtrade_attribute_names(pysys, systore_bin, tmp_path):
    import systore
    from systore.pysystemtrade import STORAGE_CLASSES, systoreDataBlob

    root = tmp_path / "store"
    subprocess.run([systore_bin, "--root", str(root), "ingest", "pysystemtrade", str(SHARED_DATA)],
                   check=True, capture_output=True)
    blob = systoreDataBlob(systore.open(str(root)), class_list=STORAGE_CLASSES)
    prices = blob.db_futures_adjusted_prices.get_adjusted_prices("US10")
    assert len(prices) > 1000 and prices.index.is_monotonic_increasing
    fx = blob.db_fx_prices.get_fx_prices("GBPUSD")
    assert fx.iloc[-1] == pytest.approx(1.2663)
    inverse = blob.db_fx_prices.get_fx_prices("USDGBP")  # pysystemtrade inverts
    assert inverse.iloc[-1] == pytest.approx(1 / 1.2663)
    mult = blob.db_futures_multiple_prices.get_multiple_prices("US10")
    assert list(mult.columns)[:1] and mult["PRICE_CONTRACT"].iloc[-1].isdigit()
    assert blob.db_roll_parameters.get_roll_parameters("US10").hold_rollcycle
    assert blob.db_spread_cost.get_spread_cost("US10") > 0
