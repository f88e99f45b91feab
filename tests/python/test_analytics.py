"""systore analytics against the references: bars against pandas resample().agg(), the
as-of join against merge_asof, volatility and EWMAC forecasts against pysystemtrade itself
on the real data in ../shared/data."""
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO, SHARED_DATA, csv_sim_data

PYSYS = REPO.parent / "shared" / "pysystemtrade"
INSTRUMENTS = ["US10", "PALLAD", "IBEX", "COFFEE", "JGB-mini", "SOFR", "CORN"]


def _cli(systore_bin, root, *args):
    p = subprocess.run([systore_bin, "--root", str(root), *args], capture_output=True, text=True)
    assert p.returncode == 0, f"systore {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}"
    return p


def _write_ticks(root, dataset, key, df):
    import systore
    st = systore.open(str(root))
    st.timeseries.write(dataset, key, df)


def _random_ticks(seed, n=20_000):
    rng = np.random.default_rng(seed)
    # Gaps of 0..40 s (a tenth of the ticks share their millisecond with the one before:
    # kept, in arrival order), some hours without ticks; prices with NaNs.
    gaps = rng.integers(1, 40_000, n) * 1_000_000
    gaps[1:][rng.random(n - 1) < 0.1] = 0
    gaps[rng.random(n) < 0.001] += 3 * 3600 * 10**9
    ts = pd.to_datetime(np.cumsum(gaps) + pd.Timestamp("2024-03-04").value, utc=True)
    price = 100 + np.cumsum(rng.normal(0, 0.05, n))
    price[rng.random(n) < 0.02] = np.nan
    size = rng.integers(1, 20, n).astype(float)
    return pd.DataFrame({"price": price, "size": size}, index=pd.DatetimeIndex(ts, name="ts"))


def _pandas_bars(ticks, rule):
    t = ticks[ticks["price"].notna()]  # documented: a tick without a price is skipped whole
    r = t.resample(rule)  # left-closed, left-labelled, aligned to midnight
    out = pd.DataFrame({
        "open": r["price"].first(), "high": r["price"].max(), "low": r["price"].min(),
        "close": r["price"].last(), "volume": r["size"].sum(), "count": r["price"].count(),
    })
    out["vwap"] = (t["price"] * t["size"]).resample(rule).sum() / out["volume"]
    return out[out["count"] > 0]


@pytest.mark.parametrize("seed,interval,rule", [(1, "1min", "1min"), (2, "5min", "5min"), (3, "1h", "1h"),
                                                (4, "30s", "30s")])
def test_bars_equal_pandas_resample(systore_bin, tmp_path, seed, interval, rule):
    root = tmp_path / "store"
    ticks = _random_ticks(seed)
    _write_ticks(root, "ticks/ES", "ESH4", ticks)
    _cli(systore_bin, root, "analytics", "bars", "ticks/ES", "--interval", interval, "--out", f"bars/{interval}")
    import systore
    got = systore.open(str(root)).timeseries.read(f"bars/{interval}", "ESH4")
    want = _pandas_bars(ticks, rule)
    assert ticks.index.duplicated().sum() > 1000
    stored = systore.open(str(root)).timeseries.read("ticks/ES", "ESH4")
    assert len(stored) == len(ticks) and np.array_equal(stored["size"].to_numpy(), ticks["size"].to_numpy())
    assert len(got) == len(want) > 10
    assert np.array_equal(got.index.values.astype("datetime64[ns]"),
                          want.index.tz_convert(None).values.astype("datetime64[ns]"))
    for c in ["open", "high", "low", "close", "volume"]:
        assert np.array_equal(got[c].to_numpy(), want[c].to_numpy()), c
    assert np.array_equal(got["count"].to_numpy(), want["count"].to_numpy())
    np.testing.assert_allclose(got["vwap"].to_numpy(), want["vwap"].to_numpy(), rtol=1e-12)


def test_bars_of_bars_and_rerun_writes_nothing(systore_bin, tmp_path):
    root = tmp_path / "store"
    _write_ticks(root, "ticks/ES", "ESH4", _random_ticks(9))
    _cli(systore_bin, root, "analytics", "bars", "ticks/ES", "--interval", "1min", "--out", "bars/1min")
    _cli(systore_bin, root, "analytics", "bars", "bars/1min", "--interval", "1h", "--out", "bars/1h-of-1min")
    _cli(systore_bin, root, "analytics", "bars", "ticks/ES", "--interval", "1h", "--out", "bars/1h")
    again = _cli(systore_bin, root, "analytics", "bars", "ticks/ES", "--interval", "1h", "--out", "bars/1h")
    assert "nothing new to write" in again.stdout and "1 series unchanged" in again.stdout
    import systore
    st = systore.open(str(root))
    a, b = st.timeseries.read("bars/1h", "ESH4"), st.timeseries.read("bars/1h-of-1min", "ESH4")
    assert a.index.equals(b.index)
    for c in ["open", "high", "low", "close", "volume", "count"]:
        assert np.array_equal(a[c].to_numpy(), b[c].to_numpy()), c
    np.testing.assert_allclose(a["vwap"].to_numpy(), b["vwap"].to_numpy(), rtol=1e-12)
    assert len(st.timeseries.versions("bars/1h")) == 2  # create + one commit, none for the rerun


def test_bars_bad_input(systore_bin, tmp_path):
    root = tmp_path / "store"
    _write_ticks(root, "ticks/ES", "ESH4", _random_ticks(5, 100))
    for bad in ["0s", "-1min", "abc"]:
        p = subprocess.run([systore_bin, "--root", str(root), "analytics", "bars", "ticks/ES", "--interval", bad,
                            "--out", "bars/x"], capture_output=True, text=True)
        assert p.returncode != 0 and "--interval" in p.stderr and bad in p.stderr, p.stderr
    p = subprocess.run([systore_bin, "--root", str(root), "analytics", "bars", "ticks/NOPE", "--out", "bars/x"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "ticks/NOPE" in p.stderr
    p = subprocess.run([systore_bin, "--root", str(root), "analytics", "bars", "ticks/ES", "--key", "ZZZ",
                        "--out", "bars/x"], capture_output=True, text=True)
    assert p.returncode != 0 and "'ZZZ'" in p.stderr


def test_asof_equals_merge_asof(systore_bin, tmp_path):
    root = tmp_path / "store"
    rng = np.random.default_rng(7)
    t0 = pd.Timestamp("2024-03-04", tz="UTC").value

    def frame(n, col):
        ts = np.unique(t0 + np.sort(rng.integers(0, 10**13, n)))
        return pd.DataFrame({col: rng.normal(100, 1, len(ts))},
                            index=pd.DatetimeIndex(pd.to_datetime(ts, utc=True), name="ts"))

    trades, quotes = frame(5000, "px"), frame(3000, "bid")
    _write_ticks(root, "trades", "ES", trades)
    _write_ticks(root, "quotes", "ES", quotes)
    out = tmp_path / "joined.parquet"
    _cli(systore_bin, root, "analytics", "asof", "trades", "ES", "quotes", "ES", "--tolerance", "2s",
         "--format", "parquet", "--output", str(out))
    got = pq.read_table(out).to_pandas()
    want = pd.merge_asof(trades.reset_index(), quotes.reset_index(), on="ts", tolerance=pd.Timedelta("2s"))
    assert len(got) == len(want) == len(trades)
    assert np.array_equal(got["px"].to_numpy(), want["px"].to_numpy())
    assert np.array_equal(got["bid"].to_numpy(), want["bid"].to_numpy(), equal_nan=True)
    assert want["bid"].isna().sum() > 0 and want["bid"].notna().sum() > 0  # the tolerance matters


@pytest.fixture(scope="module")
def pysys(tmp_path_factory):
    if not (SHARED_DATA.exists() and PYSYS.exists()):
        pytest.skip("../shared/data or ../shared/pysystemtrade not present")
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", str(tmp_path_factory.mktemp("pysys_private")))
    sys.path.insert(0, str(PYSYS))
    yield
    sys.path.remove(str(PYSYS))


@pytest.fixture(scope="module")
def real_store(pysys, systore_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("real") / "store"
    _cli(systore_bin, root, "ingest", "pysystemtrade", str(SHARED_DATA))
    keys = [a for k in INSTRUMENTS for a in ("--key", k)]
    _cli(systore_bin, root, "analytics", "vol", "prices/adjusted", "--out", "analytics/volatility", *keys)
    _cli(systore_bin, root, "analytics", "forecasts", *keys)
    _cli(systore_bin, root, "analytics", "correlations", *keys, "--name", "test7")
    return root


def _system():
    from sysdata.config.configdata import Config
    from systems.provided.futures_chapter15.basesystem import futures_system
    return futures_system(data=csv_sim_data(), config=Config("systems.provided.futures_chapter15.futuresconfig.yaml"))


def _assert_close(mine, theirs, what):
    theirs = theirs.dropna()
    theirs = theirs[theirs.index >= mine.index[0]]
    assert len(mine) > 1000, what
    assert mine.index.equals(theirs.index), (what, mine.index[:3], theirs.index[:3])
    a, b = mine.to_numpy(), theirs.to_numpy()
    # Relative to the value, except where a forecast crosses zero (fast - slow cancels):
    # there the inputs' last-bit differences (pandas' CSV parser vs correctly rounded
    # parsing) dominate, so the floor is 1e-9 of the series' typical size.
    scale = np.maximum(np.abs(b), 1e-3 * np.median(np.abs(b)))
    rel = np.abs(a - b) / scale
    assert rel.max() <= 1e-9, f"{what}: max relative difference {rel.max()} at {mine.index[rel.argmax()]}"


def test_volatility_and_forecasts_equal_pysystemtrade(real_store):
    import systore
    st = systore.open(str(real_store))
    system = _system()
    for code in INSTRUMENTS:
        vol = st.timeseries.read("analytics/volatility", code)["vol"]
        _assert_close(vol, system.rawdata.daily_returns_volatility(code), f"vol {code}")
        for rule in ["ewmac2_8", "ewmac16_64", "ewmac64_256"]:
            mine = st.timeseries.read("analytics/forecasts", f"{code}/{rule}")["forecast"]
            _assert_close(mine, system.rules.get_raw_forecast(code, rule), f"{rule} {code}")


def test_correlations_equal_pysystemtrade(real_store):
    """pysystemtrade's instrument correlation estimator (defaults.yaml) on the same
    vol-normalised returns: every yearly fit equals our row for the last week before it."""
    import copy
    import systore
    from sysquant.estimators.correlation_over_time import correlation_over_time_for_returns
    system = _system()
    returns = pd.concat({c: system.rawdata.get_daily_vol_normalised_returns(c) for c in INSTRUMENTS}, axis=1)
    params = copy.copy(system.config.instrument_correlation_estimate)
    params.pop("func")
    theirs = correlation_over_time_for_returns(returns, **params)
    mine = systore.open(str(real_store)).timeseries.read("analytics/correlations", "test7")
    assert list(mine.columns)[0] == f"{INSTRUMENTS[0]}:{INSTRUMENTS[1]}"
    assert len(mine.columns) == len(INSTRUMENTS) * (len(INSTRUMENTS) - 1) // 2
    assert (mine.index.dayofweek == 6).all()  # weekly, labelled by the Sunday
    index = mine.index.tz_convert(None) if mine.index.tz is not None else mine.index
    compared = 0
    for fit, corr in zip(theirs.fit_dates, theirs.corr_list):
        if fit.no_data:
            continue
        before = np.flatnonzero(index < fit.fit_end)
        if len(before) == 0:
            continue
        row = mine.iloc[before[-1]]
        values = np.asarray(corr.values)
        for i, a in enumerate(INSTRUMENTS):
            for j in range(i + 1, len(INSTRUMENTS)):
                b = INSTRUMENTS[j]
                x, y = row[f"{a}:{b}"], values[i][j]
                assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= 1e-9, (fit.fit_end, a, b, x, y)
        compared += 1
    assert compared >= 20, compared
    # Not trivially all zeros or all the boring 0.99.
    last = mine.iloc[-1].to_numpy()
    assert 0 < np.mean(last) < 0.99 and len(set(np.round(last, 6))) > 5


def test_pnl_across_a_real_roll_in_euros(real_store, systore_bin):
    """Fills in IBEX (EUR, 10 per point) across its 2022-01-06 roll, through the CLI;
    checked against the multiple prices and EURUSD of the CSVs by hand."""
    import systore
    fills = [("20220100", "buy", 2, 8600.0, 2.0, "2022-01-04 10:00:00"),
             ("20220100", "sell", 2, 8700.0, 2.0, "2022-01-06 10:00:00"),
             ("20220200", "buy", 2, 8690.0, 2.0, "2022-01-06 10:00:00"),
             ("20220200", "sell", 1, 8800.0, 1.0, "2022-01-11 15:00:00")]
    for n, (contract, side, qty, price, fee, at) in enumerate(fills):
        out = _cli(systore_bin, real_store, "ops", "order", "new", "--strategy", "hand", "--instrument", "IBEX",
                   "--contract", contract, "--side", side, "--qty", str(qty)).stdout
        order_id = out.strip().splitlines()[-1].split()[-1]
        _cli(systore_bin, real_store, "ops", "fill", order_id, "--qty", str(qty), "--price", str(price),
             "--exec-id", f"hand-{n}", "--commission", str(fee), "--time", at)
    p = _cli(systore_bin, real_store, "analytics", "pnl", "--date", "2022-01-12", "--strategy", "hand")
    assert "hand/IBEX" in p.stdout and "2022-01-12" in p.stdout, p.stdout
    got = systore.open(str(real_store)).timeseries.read("analytics/pnl", "hand/IBEX")
    mp = pd.read_csv(SHARED_DATA / "multiple_prices_csv" / "IBEX.csv", dtype=str, keep_default_na=False)
    mp["DATETIME"] = pd.to_datetime(mp["DATETIME"])
    fx = pd.read_csv(SHARED_DATA / "fx_prices_csv" / "EURUSD.csv", parse_dates=["DATETIME"])

    def close(contract, day):  # the contract's last close up to the end of `day`
        rows = mp[mp["DATETIME"] < pd.Timestamp(day) + pd.Timedelta(days=1)]
        for col in ["PRICE", "FORWARD", "CARRY"]:
            hit = rows[(rows[f"{col}_CONTRACT"] == contract) & rows[col].notna() & (rows[col] != "")]
            if len(hit):
                last = hit.iloc[-1]
                yield last["DATETIME"], float(last[col])

    def mark(contract, day):
        return max(close(contract, day))[1]

    def eurusd(day):
        return float(fx[fx["DATETIME"] < pd.Timestamp(day) + pd.Timedelta(days=1)]["PRICE"].iloc[-1])

    A, B = "20220100", "20220200"
    days = ["2022-01-04", "2022-01-05", "2022-01-06", "2022-01-07", "2022-01-10", "2022-01-11", "2022-01-12"]
    want = {
        "2022-01-04": 2 * (mark(A, "2022-01-04") - 8600) * 10 - 2,
        "2022-01-05": 2 * (mark(A, "2022-01-05") - mark(A, "2022-01-04")) * 10,
        "2022-01-06": (2 * (mark(A, "2022-01-06") - mark(A, "2022-01-05")) - 2 * (mark(A, "2022-01-06") - 8700)
                       + 2 * (mark(B, "2022-01-06") - 8690)) * 10 - 4,
        "2022-01-07": 2 * (mark(B, "2022-01-07") - mark(B, "2022-01-06")) * 10,
        "2022-01-10": 2 * (mark(B, "2022-01-10") - mark(B, "2022-01-07")) * 10,
        "2022-01-11": (2 * (mark(B, "2022-01-11") - mark(B, "2022-01-10")) - 1 * (mark(B, "2022-01-11") - 8800)) * 10 - 1,
        "2022-01-12": 1 * (mark(B, "2022-01-12") - mark(B, "2022-01-11")) * 10,
    }
    got_days = [d.strftime("%Y-%m-%d") for d in got.index]
    assert got_days == days
    for d in days:
        row = got.loc[got.index[got_days.index(d)]]
        assert row["pnl_local"] == pytest.approx(want[d], abs=1e-6), d
        assert row["fx"] == pytest.approx(eurusd(d), rel=1e-12), d
        assert row["pnl"] == pytest.approx(want[d] * eurusd(d), rel=1e-12), d
    # Cash identity: cash flows + the open position at its mark, x10, minus commissions.
    cash = -2 * 8600 + 2 * 8700 - 2 * 8690 + 8800 + 1 * mark(B, "2022-01-12")
    assert got["pnl_local"].sum() == pytest.approx(cash * 10 - 7, abs=1e-6)
    again = _cli(systore_bin, real_store, "analytics", "pnl", "--date", "2022-01-12", "--strategy", "hand")
    assert "nothing new to write" in again.stdout


def test_volatility_lineage_and_incremental_merge(real_store, systore_bin, tmp_path):
    import systore
    st = systore.open(str(real_store))
    versions = st.timeseries.versions("analytics/volatility")
    before = len(versions)
    import json
    lineage = json.loads(versions[-1]["user_metadata"])["systore.analytics"]
    assert lineage["operation"] == "volatility" and lineage["source"] == "prices/adjusted"
    assert set(lineage["series"]) == set(INSTRUMENTS) and lineage["params"]["days"] == 35
    again = _cli(systore_bin, real_store, "analytics", "vol", "prices/adjusted", "--out", "analytics/volatility",
                 "--key", "CORN")
    assert "nothing new to write" in again.stdout
    assert len(st.timeseries.versions("analytics/volatility")) == before
    # The daily update: one new day for CORN, then only CORN is recomputed, and it equals
    # a computation from scratch.
    last = st.timeseries.read("prices/adjusted", "CORN").index[-1]
    day = pd.DataFrame({"price": [400.0]}, index=pd.DatetimeIndex([last + pd.Timedelta(days=1)], name="ts"))
    st.timeseries.merge("prices/adjusted", "CORN", day)
    keys = [a for k in INSTRUMENTS for a in ("--key", k)]
    p = _cli(systore_bin, real_store, "analytics", "vol", "prices/adjusted", "--out", "analytics/volatility", *keys)
    assert "wrote 1 series" in p.stdout and f"{len(INSTRUMENTS) - 1} series unchanged" in p.stdout, p.stdout
    _cli(systore_bin, real_store, "analytics", "vol", "prices/adjusted", "--out", "analytics/vol-full", "--key", "CORN")
    st = systore.open(str(real_store))
    a = st.timeseries.read("analytics/volatility", "CORN")
    b = st.timeseries.read("analytics/vol-full", "CORN")
    assert a.equals(b) and a.index[-1] >= last


# ---- The Python API (st.analytics, systore.compute_bars / asof_join) -------------------

def test_python_kernels_equal_pandas():
    import systore
    ticks = _random_ticks(11, 5000)
    got = systore.compute_bars(ticks, "5min")
    want = _pandas_bars(ticks, "5min")
    assert len(got) == len(want) > 10
    for c in ["open", "high", "low", "close", "volume"]:
        assert np.array_equal(got[c].to_numpy(), want[c].to_numpy()), c
    left = ticks[["price"]].rename(columns={"price": "px"}).dropna()
    left = left[~left.index.duplicated()]
    right = _random_ticks(12, 3000)[["size"]]
    right = right[~right.index.duplicated()]
    joined = systore.asof_join(left, right, tolerance="30s")
    want = pd.merge_asof(left, right, left_index=True, right_index=True, tolerance=pd.Timedelta("30s"))
    assert len(joined) == len(want)
    assert np.array_equal(joined["size"].to_numpy(), want["size"].to_numpy(), equal_nan=True)
    with pytest.raises(systore.InvalidArgument, match="interval"):
        systore.compute_bars(ticks, "-1min")


def test_python_analytics_api_matches_the_cli(real_store, systore_bin, tmp_path):
    """st.analytics runs the same computations as `systore analytics`: stored results are
    equal, reruns write nothing, bad options are named."""
    import shutil
    import systore
    root = tmp_path / "copy"
    shutil.copytree(real_store, root)
    st = systore.open(str(root))
    a = st.analytics
    run = a.volatility(keys=INSTRUMENTS, out="analytics/vol-py")
    assert run["series_written"] == len(INSTRUMENTS) and run["version"] >= 0
    assert a.volatility(keys=INSTRUMENTS, out="analytics/vol-py")["version"] == -1
    for code in INSTRUMENTS[:3]:
        assert st.timeseries.read("analytics/vol-py", code).equals(st.timeseries.read("analytics/volatility", code))
    run = a.forecasts(keys=["SOFR"], rules=[(16, 64)], out="analytics/fc-py")
    assert st.timeseries.list_keys("analytics/fc-py") == ["SOFR/ewmac16_64"]
    run = a.correlations(keys=INSTRUMENTS, name="test7", out="analytics/corr-py")
    keys = [x for k in INSTRUMENTS for x in ("--key", k)]
    _cli(systore_bin, root, "analytics", "correlations", *keys, "--name", "test7", "--out", "analytics/corr-cli")
    assert st.timeseries.read("analytics/corr-py", "test7").equals(st.timeseries.read("analytics/corr-cli", "test7"))
    m = a.correlation_matrix("test7", dataset="analytics/corr-py")
    assert list(m.index) == INSTRUMENTS and np.allclose(m.to_numpy(), m.to_numpy().T)
    assert (np.diag(m.to_numpy()) == 1).all() and ((m.to_numpy() >= 0) & (m.to_numpy() <= 1)).all()
    earlier = a.correlation_matrix("test7", date="2010-06-01", dataset="analytics/corr-py")
    assert earlier.attrs["week"].tz_localize(None) <= pd.Timestamp("2010-06-01")
    with pytest.raises(systore.InvalidArgument, match="bogus"):
        a.correlations(keys=INSTRUMENTS, bogus=3)
    with pytest.raises(systore.NotFound, match="ZZZ"):
        a.volatility(keys=["ZZZ"])
    # P&L through the Python operational API: one US10 contract held over three days
    # (the mark of a day is the contract's last price that day; the data are hourly).
    op = st.operational
    mp = st.timeseries.read("prices/multiple", "US10").loc["2023-06-05":"2023-06-09"]
    contract = mp["PRICE_CONTRACT"].iloc[0]
    mp = mp[mp["PRICE_CONTRACT"] == contract]
    closes = mp["PRICE"].groupby(mp.index.normalize()).last()
    first_day = closes.index[0]
    oid = op.add_order("py", "US10", 1, contract=contract)
    op.apply_fill(oid, 1, float(closes.iloc[0]), exec_id="py-1",
                  time=int(first_day.tz_localize("UTC").value if first_day.tz is None else first_day.value) + 3600 * 10**9)
    run = a.pnl(date=closes.index[2], strategy="py")
    assert run["series_written"] == 2, run
    pnl = st.timeseries.read("analytics/pnl", "py/US10")
    assert len(pnl) == 3
    c = closes.to_numpy()
    assert pnl["pnl_local"].iloc[0] == pytest.approx(0.0, abs=1e-9)  # filled at that day's close
    assert pnl["pnl_local"].iloc[1] == pytest.approx((c[1] - c[0]) * 1000, rel=1e-12)
    assert pnl["fx"].tolist() == [1.0, 1.0, 1.0]
    assert st.timeseries.read("analytics/pnl", "py")["pnl"].sum() == pytest.approx((c[2] - c[0]) * 1000)
