"""pysystemtrade's storage semantics on systore: the systore classes (systore.pysystemtrade)
get add / update / delete / FX inversion and crosses from pysystemtrade's own base classes;
each test runs the same calls on a systore class and on pysystemtrade's parquet (or csv)
class and compares what they return, log and store (../shared/pysystemtrade, ../shared/data)."""
import logging
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, SHARED_DATA

PYSYS = REPO.parent / "shared" / "pysystemtrade"

pytestmark = pytest.mark.skipif(not (SHARED_DATA.exists() and PYSYS.exists()),
                                reason="../shared/data or ../shared/pysystemtrade not present")


@pytest.fixture(scope="module")
def pysys(tmp_path_factory):
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", str(tmp_path_factory.mktemp("pysys_private")))
    sys.path.insert(0, str(PYSYS))
    yield
    sys.path.remove(str(PYSYS))


@pytest.fixture
def st(pysys, tmp_path):
    import systore
    return systore.open(str(tmp_path / "store"))


@pytest.fixture
def pq(pysys, tmp_path):
    from sysdata.parquet.parquet_access import ParquetAccess
    return ParquetAccess(str(tmp_path / "parquet"))


@pytest.fixture(scope="module")
def ingested(pysys, systore_bin, tmp_path_factory):
    """A store filled by `systore ingest pysystemtrade ../shared/data`."""
    import systore
    root = tmp_path_factory.mktemp("ingested") / "store"
    subprocess.run([systore_bin, "--root", str(root), "ingest", "pysystemtrade", str(SHARED_DATA)],
                   check=True, capture_output=True)
    return systore.open(str(root))


def _messages(caplog, level):
    """Messages logged at `level`, without the "{'instrument_code': ...} " attributes
    pysystemtrade's logger puts in front."""
    return [re.sub(r"^\{[^}]*\} ", "", r.getMessage()) for r in caplog.records if r.levelno == level]


def _same_index(a, b) -> bool:
    """Same timestamps (pysystemtrade's parquet files keep microseconds, systore nanoseconds)."""
    return np.array_equal(pd.DatetimeIndex(a.index).as_unit("ns").asi8, pd.DatetimeIndex(b.index).as_unit("ns").asi8)


def _walk(n, start="2020-01-01", level=100.0, step=0.5, seed=1, freq="B"):
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq=freq)
    return pd.Series(level + np.cumsum(rng.normal(0, step, n)), index=idx)


# ---------------------------------------------------------------------------- the blob

def test_make_blob_has_every_class_under_pysystemtrade_names(st):
    from systore.pysystemtrade import (STORAGE_CLASSES, make_blob, systoreDataBlob,
                                       systoreFuturesContractPriceData)
    from sysdata.csv.csv_adjusted_prices import csvFuturesAdjustedPricesData

    blob = make_blob(st)
    assert isinstance(blob, systoreDataBlob)
    assert blob._attr_list == ["db_futures_adjusted_prices", "db_futures_multiple_prices", "db_fx_prices",
                               "db_futures_contract_price", "db_futures_instrument", "db_roll_parameters",
                               "db_spread_cost"]
    assert len(STORAGE_CLASSES) == len(blob._attr_list)
    assert isinstance(blob.db_futures_contract_price, systoreFuturesContractPriceData)
    # a pysystemtrade class given takes its db_ name (dataBlob names csv classes db_ too)
    both = make_blob(st.root, class_list=[csvFuturesAdjustedPricesData],
                     csv_data_paths={"csvFuturesAdjustedPricesData": str(SHARED_DATA / "adjusted_prices_csv")})
    assert isinstance(both.db_futures_adjusted_prices, csvFuturesAdjustedPricesData)
    assert len(both.db_futures_adjusted_prices.get_adjusted_prices("US10")) > 1000
    assert both.db_fx_prices.get_list_of_fxcodes() == [] and len(both._attr_list) == 7


def test_store_blob_imports_pysystemtrade_only_when_used(pysys, tmp_path):
    code = ("import sys, systore\n"
            "st = systore.open(sys.argv[1])\n"
            "assert not [m for m in sys.modules if m == 'systore.pysystemtrade' or m.startswith('sysdata')], 'eager'\n"
            "b = st.blob\n"
            "assert st.blob is b and 'sysdata.data_blob' in sys.modules\n"
            "print(type(b.db_futures_contract_price).__name__)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "python"), str(PYSYS)]))
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "systoreFuturesContractPriceData"


# ----------------------------------------------------------------------- adjusted prices

def _adjusted_pair(st, pq):
    from sysdata.parquet.parquet_adjusted_prices import parquetFuturesAdjustedPricesData
    from systore.pysystemtrade import systoreFuturesAdjustedPricesData
    return systoreFuturesAdjustedPricesData(st), parquetFuturesAdjustedPricesData(pq)


def test_add_adjusted_prices_when_data_exists_logs_error_then_writes_as_pysystemtrade(st, pq, caplog):
    from sysobjects.adjusted_prices import futuresAdjustedPrices
    first, second = futuresAdjustedPrices(_walk(50)), futuresAdjustedPrices(_walk(40, seed=2))
    for data in _adjusted_pair(st, pq):
        caplog.clear()
        data.add_adjusted_prices("SOFR", first)
        assert _messages(caplog, logging.ERROR) == []
        data.add_adjusted_prices("SOFR", second)  # pysystemtrade logs an error... and overwrites anyway
        assert _messages(caplog, logging.ERROR) == ["There is already SOFR in the data, you have to delete it first"]
        got = data.get_adjusted_prices("SOFR")
        assert np.array_equal(got.to_numpy(), second.to_numpy()) and _same_index(got, second), data
        data.add_adjusted_prices("SOFR", first, ignore_duplication=True)
        assert len(data.get_adjusted_prices("SOFR")) == 50
    s, p = _adjusted_pair(st, pq)
    pd.testing.assert_series_equal(s.get_adjusted_prices("SOFR"), p.get_adjusted_prices("SOFR"), check_names=False,
                                   check_freq=False, check_index_type=False)
    assert s.get_list_of_instruments() == p.get_list_of_instruments() == ["SOFR"]


def test_adjusted_prices_delete_semantics(st, pq, caplog):
    from sysobjects.adjusted_prices import futuresAdjustedPrices
    for data in _adjusted_pair(st, pq):
        data.add_adjusted_prices("US10", futuresAdjustedPrices(_walk(30)))
        caplog.clear()
        data.delete_adjusted_prices("US10")  # not sure: an error, nothing deleted
        assert _messages(caplog, logging.ERROR) == ["You need to call delete_adjusted_prices with a flag to be sure"]
        assert data.is_code_in_data("US10")
        data.delete_adjusted_prices("US10", are_you_sure=True)
        assert not data.is_code_in_data("US10") and data.get_adjusted_prices("US10").empty
        caplog.clear()
        data.delete_adjusted_prices("US10", are_you_sure=True)  # gone: a warning, no exception
        assert _messages(caplog, logging.WARNING) == ["Tried to delete non existent adjusted prices for US10"]


def test_adjusted_prices_read_like_pysystemtrade_csv(ingested):
    from sysdata.csv.csv_adjusted_prices import csvFuturesAdjustedPricesData
    from systore.pysystemtrade import make_blob
    csv = csvFuturesAdjustedPricesData(str(SHARED_DATA / "adjusted_prices_csv"))
    ours = make_blob(ingested).db_futures_adjusted_prices
    assert sorted(ours.get_list_of_instruments()) == sorted(csv.get_list_of_instruments())
    for code in ("US10", "GAS_US", "EURIBOR"):
        a, b = csv.get_adjusted_prices(code), ours.get_adjusted_prices(code)
        assert a.index.equals(b.index), code
        assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-12, equal_nan=True), code
    assert ours.get_adjusted_prices("NOT_THERE").empty


# ----------------------------------------------------------------------- multiple prices

def _multiple_pair(st, pq):
    from sysdata.parquet.parquet_multiple_prices import parquetFuturesMultiplePricesData
    from systore.pysystemtrade import systoreFuturesMultiplePricesData
    return systoreFuturesMultiplePricesData(st), parquetFuturesMultiplePricesData(pq)


def test_multiple_prices_add_refuses_existing_update_replaces_as_pysystemtrade(st, pq):
    from syscore.exceptions import existingData
    from sysdata.csv.csv_multiple_prices import csvFuturesMultiplePricesData
    real = csvFuturesMultiplePricesData(str(SHARED_DATA / "multiple_prices_csv")).get_multiple_prices("US10")
    from sysobjects.multiple_prices import futuresMultiplePrices
    older = futuresMultiplePrices(real.iloc[:-20].copy())
    for data in _multiple_pair(st, pq):
        data.add_multiple_prices("US10", older)
        with pytest.raises(existingData):
            data.add_multiple_prices("US10", futuresMultiplePrices(real.copy()))
        assert len(data.get_multiple_prices("US10")) == len(real) - 20  # refused: unchanged
        # pysystemtrade's update (update_multiple_adjusted_prices): merge, then add with ignore_duplication
        data.add_multiple_prices("US10", futuresMultiplePrices(real.copy()), ignore_duplication=True)
    s, p = (d.get_multiple_prices("US10") for d in _multiple_pair(st, pq))
    pd.testing.assert_frame_equal(s, p, check_freq=False, check_index_type=False)
    pd.testing.assert_frame_equal(pd.DataFrame(s), pd.DataFrame(real), check_freq=False, check_index_type=False)
    assert s["PRICE_CONTRACT"].iloc[-1] == real["PRICE_CONTRACT"].iloc[-1] and s["PRICE_CONTRACT"].map(type).eq(str).all()


def test_multiple_prices_delete_needs_to_be_sure(st, pq):
    from sysdata.csv.csv_multiple_prices import csvFuturesMultiplePricesData
    real = csvFuturesMultiplePricesData(str(SHARED_DATA / "multiple_prices_csv")).get_multiple_prices("COFFEE")
    for data in _multiple_pair(st, pq):
        data.add_multiple_prices("COFFEE", real)
        with pytest.raises(Exception, match="You need to be sure"):
            data.delete_multiple_prices("COFFEE")
        assert data.is_code_in_data("COFFEE")
        data.delete_multiple_prices("COFFEE", are_you_sure=True)
        assert data.get_list_of_instruments() == [] and data.get_multiple_prices("COFFEE").empty


def test_multiple_prices_read_like_pysystemtrade_csv(ingested):
    from sysdata.csv.csv_multiple_prices import csvFuturesMultiplePricesData
    from systore.pysystemtrade import make_blob
    csv = csvFuturesMultiplePricesData(str(SHARED_DATA / "multiple_prices_csv"))
    ours = make_blob(ingested).db_futures_multiple_prices
    assert sorted(ours.get_list_of_instruments()) == sorted(csv.get_list_of_instruments())
    for code in ("US10", "PALLAD", "JGB-mini"):
        a, b = csv.get_multiple_prices(code), ours.get_multiple_prices(code)
        assert list(a.columns) == list(b.columns) and a.index.equals(b.index), code
        for col in ("PRICE_CONTRACT", "CARRY_CONTRACT", "FORWARD_CONTRACT"):
            assert a[col].equals(b[col]), (code, col)
        for col in ("PRICE", "CARRY", "FORWARD"):
            assert np.allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-12, atol=1e-12,
                               equal_nan=True), (code, col)


# --------------------------------------------------------------------------------- FX

def _fx_pair(st, pq):
    from sysdata.parquet.parquet_spotfx_prices import parquetFxPricesData
    from systore.pysystemtrade import systoreFxPricesData
    return systoreFxPricesData(st), parquetFxPricesData(pq)


def test_update_fx_prices_returns_rows_added_as_pysystemtrade(st, pq):
    from sysobjects.spot_fx_prices import fxPrices
    full = _walk(300, level=1.3, step=0.003)
    results = []
    for data in _fx_pair(st, pq):
        assert data.update_fx_prices("GBPUSD", fxPrices(full.iloc[:250].copy())) == 250  # into nothing
        n_overlap = data.update_fx_prices("GBPUSD", fxPrices(full.iloc[200:280].copy()))  # older rows ignored
        n_again = data.update_fx_prices("GBPUSD", fxPrices(full.iloc[200:280].copy()))  # nothing new
        n_empty = data.update_fx_prices("GBPUSD", fxPrices(full.iloc[:0].copy()))
        results.append((n_overlap, n_again, n_empty))
        got = data.get_fx_prices("GBPUSD")
        assert np.array_equal(got.to_numpy(), full.iloc[:280].to_numpy()) and _same_index(got, full.iloc[:280])
    assert results[0] == results[1] == (30, 0, 0)


def test_update_fx_prices_spike_check_as_pysystemtrade(st, pq, monkeypatch):
    from syscore.pandas.merge_data_keeping_past_data import SPIKE_IN_DATA, merge_newer_data
    from sysobjects.spot_fx_prices import fxPrices
    history = _walk(600, level=1.3, step=0.003)
    jump = pd.Series([history.iloc[-1] * 1000, history.iloc[-1] * 1000],
                     index=pd.bdate_range(history.index[-1] + pd.Timedelta(days=1), periods=2))
    for data in _fx_pair(st, pq):
        data.add_fx_prices("GBPUSD", fxPrices(history.copy()))
    # pysystemtrade's FX update checks against max_spike=99,999,999 vol-normalised units, which
    # the measure (a move over an EWMA that includes the move itself, span 500) cannot exceed
    # (~250 at most): as in pysystemtrade, a 1000x jump is added.
    rows = [d.update_fx_prices("EURUSD", fxPrices(history.copy())) for d in _fx_pair(st, pq)]
    assert rows == [600, 600]
    monkeypatch.setattr(fxPrices, "add_rows_to_existing_data", lambda self, new, check_for_spike=True: (
        SPIKE_IN_DATA if (m := merge_newer_data(self, new, check_for_spike=check_for_spike, max_spike=8))
        is SPIKE_IN_DATA else fxPrices(m)))  # pysystemtrade's rule, at its usual threshold of 8
    for data in _fx_pair(st, pq):
        assert data.update_fx_prices("GBPUSD", fxPrices(jump.copy())) is SPIKE_IN_DATA
        assert len(data.get_fx_prices("GBPUSD")) == 600  # refused: nothing written
        assert data.update_fx_prices("GBPUSD", fxPrices(jump.copy()), check_for_spike=False) == 2
        assert data.get_fx_prices("GBPUSD").iloc[-1] == jump.iloc[-1]


def test_add_fx_prices_existing_warns_and_keeps_old_as_pysystemtrade(st, pq, caplog):
    from sysobjects.spot_fx_prices import fxPrices
    old, new = _walk(20, level=1.1, step=0.01), _walk(10, level=1.2, step=0.01, seed=3)
    for data in _fx_pair(st, pq):
        data.add_fx_prices("EURUSD", fxPrices(old.copy()))
        caplog.clear()
        assert data.add_fx_prices("EURUSD", fxPrices(new.copy())) is None
        assert any("There is already EURUSD in the data" in m for m in _messages(caplog, logging.WARNING))
        assert len(data.get_fx_prices("EURUSD")) == 20
        data.add_fx_prices("EURUSD", fxPrices(new.copy()), ignore_duplication=True)
        assert len(data.get_fx_prices("EURUSD")) == 10
        caplog.clear()
        data.delete_fx_prices("EURUSD")  # not sure: a warning, kept
        assert _messages(caplog, logging.WARNING) == ["You need to call delete_fx_prices with a flag to be sure"]
        data.delete_fx_prices("EURUSD", are_you_sure=True)
        assert data.get_list_of_fxcodes() == [] and data.get_fx_prices("EURUSD").empty


@pytest.mark.parametrize("code", ["GBPUSD", "USDGBP", "EURGBP", "JPYEUR", "USDUSD", "GBPGBP"])
def test_get_fx_prices_inversion_and_crosses_like_pysystemtrade_csv(ingested, code):
    from sysdata.csv.csv_spot_fx import csvFxPricesData
    from systore.pysystemtrade import make_blob
    csv = csvFxPricesData(str(SHARED_DATA / "fx_prices_csv"))
    ours = make_blob(ingested).db_fx_prices
    a, b = csv.get_fx_prices(code), ours.get_fx_prices(code)
    assert len(b) > 1000 and a.index.equals(b.index), code
    assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, equal_nan=True), code
    if code == "USDGBP":
        direct = ours.get_fx_prices("GBPUSD")
        assert np.allclose(b.to_numpy(), 1 / direct.to_numpy())
    if code == "EURGBP":
        eur, gbp = ours.get_fx_prices("EURUSD"), ours.get_fx_prices("GBPUSD")
        day = b.index[-1]
        assert b[day] == pytest.approx(eur.ffill()[:day].iloc[-1] / gbp.ffill()[:day].iloc[-1])


def test_get_fx_prices_missing_currency_is_empty_as_pysystemtrade(ingested):
    from sysdata.csv.csv_spot_fx import csvFxPricesData
    from systore.pysystemtrade import make_blob
    csv = csvFxPricesData(str(SHARED_DATA / "fx_prices_csv"))
    ours = make_blob(ingested).db_fx_prices
    for code in ("XXXUSD", "USDXXX", "XXXGBP"):
        assert csv.get_fx_prices(code).empty and ours.get_fx_prices(code).empty, code
    assert sorted(ours.get_list_of_fxcodes()) == sorted(csv.get_list_of_fxcodes())


# -------------------------------------------------------------- per-contract prices

def _contract_prices(n=60, start="2024-01-02 23:00", freq="B", seed=1, level=100.0):
    from sysobjects.futures_per_contract_prices import futuresContractPrices
    final = _walk(n, start=start, level=level, step=0.2, seed=seed, freq=freq)
    df = pd.DataFrame({"OPEN": final - 0.1, "HIGH": final + 0.3, "LOW": final - 0.4, "FINAL": final,
                       "VOLUME": np.arange(n, dtype=float) * 10})
    df.iloc[3, df.columns.get_loc("OPEN")] = np.nan  # pysystemtrade's prices often lack an OPEN
    return futuresContractPrices(df)


def _contract_pair(st, pq):
    from sysdata.parquet.parquet_futures_per_contract_prices import parquetFuturesContractPriceData
    from systore.pysystemtrade import systoreFuturesContractPriceData
    return systoreFuturesContractPriceData(st), parquetFuturesContractPriceData(pq)


def _frames_equal(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a)[sorted(a.columns)], pd.DataFrame(b)[sorted(b.columns)],
                                  check_freq=False, check_index_type=False)


def test_contract_prices_frequencies_are_separate_series_as_pysystemtrade(st, pq):
    from syscore.dateutils import DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ
    from sysobjects.contracts import futuresContract
    from syscore.pandas.frequency import merge_data_with_different_freq
    sofr, gas = futuresContract("SOFR", "20240300"), futuresContract("GAS_US", "20240600")
    daily = _contract_prices()
    hourly = _contract_prices(n=40, start="2024-03-01 14:00", freq="h", seed=2)
    merged = merge_data_with_different_freq([hourly, daily])
    for data in _contract_pair(st, pq):
        data.write_prices_at_frequency_for_contract_object(sofr, daily, frequency=DAILY_PRICE_FREQ)
        data.write_prices_at_frequency_for_contract_object(sofr, hourly, frequency=HOURLY_FREQ)
        data.write_merged_prices_for_contract_object(sofr, merged)
        data.write_prices_at_frequency_for_contract_object(gas, daily, frequency=DAILY_PRICE_FREQ)
    st.timeseries.write("prices/contract_daily", "NOT_A_CONTRACT", pd.DataFrame(daily))  # skipped when listing
    s, p = _contract_pair(st, pq)
    for f in (DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ):
        assert sorted(map(str, s.get_contracts_with_price_data_for_frequency(f))) == \
            sorted(map(str, p.get_contracts_with_price_data_for_frequency(f))), f
        _frames_equal(s.get_prices_at_frequency_for_contract_object(sofr, f),
                      p.get_prices_at_frequency_for_contract_object(sofr, f))
    _frames_equal(s.get_merged_prices_for_contract_object(sofr), merged)
    assert len(s.get_merged_prices_for_contract_object(sofr)) == len(merged) == 99  # 2024-03-01 23:00 in both
    assert s.get_merged_prices_for_contract_object(gas).empty  # no merged series written for it
    assert not s.has_merged_price_data_for_contract(gas) and s.has_price_data_for_contract_at_frequency(
        gas, DAILY_PRICE_FREQ)
    assert sorted(s.get_list_of_instrument_codes_with_price_data_at_frequency(DAILY_PRICE_FREQ)) == ["GAS_US", "SOFR"]
    assert s.contract_dates_with_price_data_at_frequency_for_instrument_code("SOFR", HOURLY_FREQ) == ["20240300"]
    assert list(s.get_prices_at_frequency_for_instrument("SOFR", DAILY_PRICE_FREQ).keys()) == ["20240300"]
    assert list(s.get_merged_prices_for_contract_object(sofr).columns) == ["OPEN", "HIGH", "LOW", "FINAL", "VOLUME"]
    assert st.timeseries.list_keys("prices/contract_daily") == ["GAS_US/20240600", "NOT_A_CONTRACT", "SOFR/20240300"]
    assert st.timeseries.list_keys("prices/contract_merged") == ["SOFR/20240300"]
    with pytest.raises(Exception):  # pysystemtrade's shape only
        s.write_prices_at_frequency_for_contract_object(gas, pd.DataFrame({"FINAL": daily["FINAL"]}),
                                                        frequency=HOURLY_FREQ, ignore_duplication=True)


def test_contract_prices_write_existing_warns_and_keeps_old_as_pysystemtrade(st, pq, caplog):
    from syscore.dateutils import DAILY_PRICE_FREQ
    from sysobjects.contracts import futuresContract
    c = futuresContract("SOFR", "20240300")
    old, new = _contract_prices(), _contract_prices(n=10, seed=5)
    for data in _contract_pair(st, pq):
        data.write_prices_at_frequency_for_contract_object(c, old, frequency=DAILY_PRICE_FREQ)
        caplog.clear()
        data.write_prices_at_frequency_for_contract_object(c, new, frequency=DAILY_PRICE_FREQ)
        assert _messages(caplog, logging.WARNING) == ["There is already existing data for SOFR/20240300"]
        assert len(data.get_prices_at_frequency_for_contract_object(c, DAILY_PRICE_FREQ)) == 60
        data.write_prices_at_frequency_for_contract_object(c, new, frequency=DAILY_PRICE_FREQ,
                                                           ignore_duplication=True)
        _frames_equal(data.get_prices_at_frequency_for_contract_object(c, DAILY_PRICE_FREQ), new)


def test_update_contract_prices_rows_added_and_spike_as_pysystemtrade(st, pq):
    from syscore.dateutils import DAILY_PRICE_FREQ, HOURLY_FREQ
    from syscore.pandas.merge_data_keeping_past_data import SPIKE_IN_DATA
    from sysobjects.contracts import futuresContract
    from sysobjects.futures_per_contract_prices import futuresContractPrices
    c = futuresContract("SOFR", "20240300")
    full = _contract_prices(n=300)
    spike = full.iloc[-5:].copy()
    spike.index = spike.index + pd.Timedelta(days=10)
    spike["FINAL"] = spike["FINAL"] * 50
    outcomes = []
    for data in _contract_pair(st, pq):
        o = [data.update_prices_at_frequency_for_contract(c, futuresContractPrices(full.iloc[:250].copy()),
                                                          frequency=DAILY_PRICE_FREQ),
             data.update_prices_at_frequency_for_contract(c, futuresContractPrices(full.iloc[240:].copy()),
                                                          frequency=DAILY_PRICE_FREQ),
             data.update_prices_at_frequency_for_contract(c, futuresContractPrices(full.iloc[240:].copy()),
                                                          frequency=DAILY_PRICE_FREQ),
             data.update_prices_at_frequency_for_contract(c, futuresContractPrices(spike.copy()),
                                                          frequency=DAILY_PRICE_FREQ, max_price_spike=8),
             data.update_prices_at_frequency_for_contract(c, futuresContractPrices(spike.copy()),
                                                          frequency=DAILY_PRICE_FREQ, check_for_spike=False)]
        outcomes.append(o)
        got = data.get_prices_at_frequency_for_contract_object(c, DAILY_PRICE_FREQ)
        assert len(got) == 305 and got["FINAL"].iloc[-1] == spike["FINAL"].iloc[-1]
        assert not data.has_price_data_for_contract_at_frequency(c, HOURLY_FREQ)
    assert outcomes[0] == outcomes[1] == [250, 50, 0, SPIKE_IN_DATA, 5]
    s, p = _contract_pair(st, pq)
    _frames_equal(s.get_prices_at_frequency_for_contract_object(c, DAILY_PRICE_FREQ),
                  p.get_prices_at_frequency_for_contract_object(c, DAILY_PRICE_FREQ))


def test_contract_prices_delete_semantics_as_pysystemtrade(st, pq, caplog):
    from syscore.dateutils import DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ
    from sysobjects.contracts import futuresContract
    contracts = [futuresContract("SOFR", "20240300"), futuresContract("SOFR", "20240600"),
                 futuresContract("US10", "20240300")]
    for data in _contract_pair(st, pq):
        for c in contracts:
            for f in (DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ):
                data.write_prices_at_frequency_for_contract_object(c, _contract_prices(n=5), frequency=f)
        with pytest.raises(Exception, match="You have to be sure"):
            data.delete_prices_at_frequency_for_contract_object(contracts[0], DAILY_PRICE_FREQ)
        with pytest.raises(Exception, match="You have to be sure"):
            data.delete_merged_prices_for_instrument_code("SOFR")
        data.delete_prices_at_frequency_for_contract_object(contracts[0], DAILY_PRICE_FREQ, areyousure=True)
        assert not data.has_price_data_for_contract_at_frequency(contracts[0], DAILY_PRICE_FREQ)
        assert data.has_price_data_for_contract_at_frequency(contracts[0], HOURLY_FREQ)
        assert data.has_merged_price_data_for_contract(contracts[0])
        caplog.clear()
        data.delete_prices_at_frequency_for_contract_object(contracts[0], DAILY_PRICE_FREQ, areyousure=True)
        assert _messages(caplog, logging.WARNING) == ["Tried to delete non existent contract at frequency Frequency.Day"]
        data.delete_merged_prices_for_instrument_code("SOFR", areyousure=True)
        assert [str(c) for c in data.get_contracts_with_merged_price_data()] == ["US10/20240300"]
        data.delete_prices_at_frequency_for_instrument_code("SOFR", HOURLY_FREQ, areyousure=True)
        assert sorted(map(str, data.get_contracts_with_price_data_for_frequency(HOURLY_FREQ))) == ["US10/20240300"]
        assert sorted(map(str, data.get_contracts_with_price_data_for_frequency(DAILY_PRICE_FREQ))) == \
            ["SOFR/20240600", "US10/20240300"]
        assert data.get_merged_prices_for_contract_object(contracts[1]).empty
        from syscore.exceptions import missingData
        with pytest.raises(missingData):
            data.get_merged_prices_for_contract_object(contracts[1], return_empty=False)


def test_contract_prices_ingested_read_like_pysystemtrade_csv(pysys, systore_bin, tmp_path):
    """pysystemtrade's csv class writes the files; `systore ingest pysystemtrade` loads them
    (contract_prices_csv -> prices/contract_daily, contract_prices_hourly_csv ->
    prices/contract_hourly); our class reads back what the csv class reads."""
    import systore
    from syscore.dateutils import DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ
    from sysdata.csv.csv_futures_contract_prices import csvFuturesContractPriceData
    from sysobjects.contracts import futuresContract
    from systore.pysystemtrade import systoreFuturesContractPriceData
    folder = {"contract_prices_csv": tmp_path / "in" / "contract_prices_csv",
              "contract_prices_hourly_csv": tmp_path / "in" / "contract_prices_hourly_csv"}
    for d in folder.values():
        d.mkdir(parents=True)
    contracts = [futuresContract("GAS_US", "20240600"), futuresContract("SOFR", "20240300")]
    for i, c in enumerate(contracts):  # the csv class names merged-frequency files SOFR_20240300.csv
        csvFuturesContractPriceData(str(folder["contract_prices_csv"])).write_merged_prices_for_contract_object(
            c, _contract_prices(n=80, seed=i))
        csvFuturesContractPriceData(str(folder["contract_prices_hourly_csv"])).write_merged_prices_for_contract_object(
            c, _contract_prices(n=30, start="2024-03-01 14:00", freq="h", seed=10 + i))
    root = tmp_path / "store"
    subprocess.run([systore_bin, "--root", str(root), "ingest", "pysystemtrade", str(tmp_path / "in")],
                   check=True, capture_output=True)
    ours = systoreFuturesContractPriceData(systore.open(str(root)))
    for f, sub in ((DAILY_PRICE_FREQ, "contract_prices_csv"), (HOURLY_FREQ, "contract_prices_hourly_csv")):
        csv = csvFuturesContractPriceData(str(folder[sub]))
        assert [str(c) for c in ours.get_contracts_with_price_data_for_frequency(f)] == \
            sorted(str(c) for c in csv.get_contracts_with_merged_price_data())
        for c in contracts:
            a = csv.get_merged_prices_for_contract_object(c)
            b = ours.get_prices_at_frequency_for_contract_object(c, f)
            assert len(b) == (80 if f is DAILY_PRICE_FREQ else 30)
            _frames_equal(a.astype("float64"), b)
    assert ours.get_contracts_with_price_data_for_frequency(MIXED_FREQ) == []
