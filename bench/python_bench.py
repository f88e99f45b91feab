#!/usr/bin/env python3
"""The systore Python package side by side with ArcticDB (LMDB) and pandas+pyarrow, from
Python, on the real pysystemtrade data (../shared/data), in one run.

    .venv/bin/python bench/python_bench.py            # full run (docs/benchmarks.md)
    .venv/bin/python bench/python_bench.py --quick    # fewer repetitions and instruments
    .venv/bin/python bench/python_bench.py --only read_all,latest

Workloads (each engine in a fresh directory under one temporary directory, warm page
cache, the same frames for every engine; every number is a median, or p50/p99, of
several timed repetitions):

  read_all   every adjusted series into pandas, one DataFrame per series:
             ts.read_many vs ArcticDB lib.read_batch vs pd.read_parquet per file
  latest     the last 100 rows of one series, per call: ts.latest vs lib.tail vs
             pd.read_parquet(...).tail(100)
  write      a new 100k-row frame: ts.write vs lib.write vs DataFrame.to_parquet
  merge      a 100k-row frame over the tail of a 1M-row series (half overlap, incoming
             rows win): ts.merge(mode="overwrite") vs lib.update vs read + concat + to_parquet
  backtest   pysystemtrade (../shared/pysystemtrade, imported, never copied) on its CSVs,
             its own Parquet backend and systoreFuturesSimData: (a) loading adjusted,
             multiple and FX prices through the sim data object, (b) the chapter-15
             futures_system with equal weights up to accounts.portfolio().percent

Ratios are peer time / systore time: above 1 means systore is faster. Raw numbers go to
bench/results/python_bench-<timestamp>.json (git-ignored), progress to stderr, tables to
stdout (Markdown with --markdown).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "scripts"))
import compare as C  # noqa: E402  (Table, ratio, machine_info, versions, command_line)
import peers as P  # noqa: E402  (the CSV loading and the ArcticDB / pandas peers)

WORKLOADS = ("read_all", "latest", "write", "merge", "backtest")
# Where the 100k-row frames of the write and merge workloads go (value columns below).
FRAMES = P.DatasetSpec("bench/frames", "", ("price", "volume"))
# systore picks a dataset's partitioning from its name (DatasetOptions::ForName): FRAMES
# gets its generic default (one partition per year), a name with "minute" in it the one
# for minute bars (one per month). The frames are one-minute bars, so both are measured.
MINUTE_FRAMES = "bench/minute_frames"
FRAME_ROWS = 100_000
MERGE_BASE_ROWS = 1_000_000
# The instruments of tests/python/test_pysystemtrade_backtest.py (USD, EUR and JPY ones).
INSTRUMENTS = ["US10", "PALLAD", "IBEX", "COFFEE", "JGB-mini"]
QUICK_INSTRUMENTS = ["US10", "IBEX"]

_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- timing


def measure(fn, reps: int, setup=None, warmup: int = 1) -> list[float]:
    """Seconds of each of `reps` timed calls of fn(), after `warmup` untimed ones. With
    `setup`, each call is fn(setup()) and setup (e.g. restoring a series, or a fresh
    store) is not timed. One gc.collect() before the timed calls, none during them."""
    def call():
        arg = setup() if setup else None
        t0 = time.perf_counter()
        fn(arg) if setup else fn()
        return time.perf_counter() - t0

    for _ in range(warmup):
        call()
    gc.collect()
    return [call() for _ in range(reps)]


def stats(samples: list[float]) -> dict:
    a = np.asarray(samples)
    return {"median": float(np.median(a)), "p50": float(np.percentile(a, 50)),
            "p99": float(np.percentile(a, 99)), "min": float(a.min()), "reps": len(a)}


# --------------------------------------------------------------------------- engines


class SystoreEngine(P.Peer):
    """The systore package: systore.open(root).timeseries."""

    id = "systore"
    label = "systore"

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.ts = None
        self.reopen()

    def reopen(self) -> None:
        """Drops the store and opens it again: a new C++ store, its decoded-file cache
        empty (the package shares one store per root while a handle is alive)."""
        import systore

        self.ts = None
        gc.collect()
        self.ts = systore.open(str(self.dir)).timeseries

    def load(self, frames: dict[str, pd.DataFrame]) -> None:
        for key, df in frames.items():
            self.ts.write(P.ADJUSTED.name, key, df)
        self._adjusted_keys = list(frames)

    def read_all(self) -> int:
        return sum(len(df) for df in self.ts.read_many(P.ADJUSTED.name, self._adjusted_keys).values())

    def read_all_arrow(self) -> int:
        # The same read as pyarrow Tables: what the pandas frames cost on top.
        return sum(t.num_rows for t in self.ts.read_many_arrow(P.ADJUSTED.name, self._adjusted_keys).values())

    def last100(self, key: str) -> pd.DataFrame:
        return self.ts.latest(P.ADJUSTED.name, key, n=100)

    def last100_arrow(self, key: str):
        return self.ts.latest_arrow(P.ADJUSTED.name, key, n=100)

    def write(self, key: str, df: pd.DataFrame, dataset: str = FRAMES.name) -> None:
        self.ts.write(dataset, key, df)

    def update(self, key: str, df: pd.DataFrame, dataset: str = FRAMES.name) -> None:
        self.ts.merge(dataset, key, df, mode="overwrite")

    def read_frame(self, key: str, dataset: str = FRAMES.name) -> pd.DataFrame:
        return self.ts.read(dataset, key)


class ArcticEngine(P.ArcticDBPeer):
    """bench/peers.py's ArcticDB peer (LMDB, one library per dataset) plus a library for
    the 100k-row frames."""

    def __init__(self, workdir: Path):
        super().__init__(workdir)
        self.libs[FRAMES.name] = self.ac.get_library(FRAMES.slug, create_if_missing=True)

    def load(self, frames):
        lib = self.libs[P.ADJUSTED.name]
        for key, df in frames.items():
            lib.write(key, df)
        self._adjusted_keys = list(frames)

    def read_all(self) -> int:
        return self.read_all_methods()["lib.read_batch"]()

    def write(self, key, df):
        self.libs[FRAMES.name].write(key, df)

    def update(self, key, df):
        # update replaces the stored rows in the incoming frame's date range.
        self.libs[FRAMES.name].update(key, df)

    def read_frame(self, key):
        return self.libs[FRAMES.name].read(key).data


class PandasEngine(P.PandasParquetPeer):
    """bench/peers.py's pandas peer: one Parquet file per series, pyarrow's defaults."""

    label = "pandas+pyarrow (one Parquet file per series)"

    def load(self, frames):
        for spec in (P.ADJUSTED, FRAMES):
            (self.dir / spec.slug).mkdir(parents=True, exist_ok=True)
        for key, df in frames.items():
            df.to_parquet(self._path(P.ADJUSTED, key))
        self._adjusted_keys = list(frames)

    def read_all(self) -> int:
        return self.read_all_methods()["pd.read_parquet per file"]()

    def write(self, key, df):
        df.to_parquet(self._path(FRAMES, key))

    def update(self, key, df):
        # No update in a Parquet file: read it, keep the rows before the incoming ones,
        # rewrite it all.
        path = self._path(FRAMES, key)
        old = pd.read_parquet(path)
        pd.concat([old[old.index < df.index[0]], df]).to_parquet(path)

    def read_frame(self, key):
        return pd.read_parquet(self._path(FRAMES, key))


ENGINES = (SystoreEngine, ArcticEngine, PandasEngine)


def make_frame(rows: int, start: str, seed: int) -> pd.DataFrame:
    """`rows` one-minute bars from `start`: price (a random walk in ticks of 0.25) and
    volume (1-20 lots, float64), indexed by a DatetimeIndex named DATETIME."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=rows, freq="min", name="DATETIME")
    price = 4000.0 + 0.25 * np.cumsum(rng.integers(-1, 2, size=rows)).astype(np.float64)
    volume = rng.integers(1, 21, size=rows).astype(np.float64)
    return pd.DataFrame({"price": price, "volume": volume}, index=index)


# --------------------------------------------------------------------------- workloads


def row(engine, label, samples, kind="main", **extra) -> dict:
    return {"engine": engine, "label": label, "kind": kind, **stats(samples), **extra,
            "samples": samples}


def bench_read_all(engines, args, total_rows: int) -> list[dict]:
    """Workload 1: every adjusted series into pandas, one DataFrame per series."""
    st, arctic, pandas = engines["systore"], engines["arcticdb"], engines["pandas"]
    out = []
    log(f"read_all: systore, freshly opened store ({args.reps} reps)")
    out.append(row("systore", "systore ts.read_many, freshly opened store", measure(
        lambda _: st.read_all(), args.reps, setup=st.reopen)))
    log("read_all: systore, same store (decoded-file cache warm)")
    out.append(row("systore", "systore ts.read_many, same store (decoded-file cache warm)",
                   measure(st.read_all, args.reps), kind="variant"))
    log("read_all: systore diagnostic (Arrow tables, no pandas)")
    out.append(row("systore", "systore ts.read_many_arrow (pyarrow Tables), fresh store",
                   measure(lambda _: st.read_all_arrow(), args.reps, setup=st.reopen), kind="diagnostic"))
    out.append(row("systore", "systore ts.read_many_arrow (pyarrow Tables), same store",
                   measure(st.read_all_arrow, args.reps), kind="diagnostic"))
    log("read_all: ArcticDB lib.read_batch")
    out.append(row("arcticdb", "ArcticDB lib.read_batch", measure(arctic.read_all, args.reps)))
    log("read_all: pandas pd.read_parquet per file")
    out.append(row("pandas", "pandas+pyarrow pd.read_parquet per file", measure(pandas.read_all, args.reps)))
    for e in (st, arctic, pandas):  # every engine read every row
        assert e.read_all() == total_rows, e.id
    return out


def bench_latest(engines, args, key: str) -> list[dict]:
    """Workload 2: the last 100 rows of one series, p50/p99 over many calls."""
    st, arctic, pandas = engines["systore"], engines["arcticdb"], engines["pandas"]
    n = args.latest_calls
    ref = st.last100(key)
    for e in (arctic, pandas):  # the same rows from every engine
        other = e.last100(key)
        assert other.index.equals(ref.index) and np.array_equal(other["price"], ref["price"]), e.id
    out = []
    cases = [("systore", "systore ts.latest(n=100)", lambda: st.last100(key), "main"),
             ("systore", "systore ts.latest_arrow(n=100) (pyarrow.Table)",
              lambda: st.last100_arrow(key), "diagnostic"),
             ("arcticdb", "ArcticDB lib.tail(symbol, 100)", lambda: arctic.last100(key), "main"),
             ("pandas", "pandas pd.read_parquet(file).tail(100)", lambda: pandas.last100(key), "main")]
    for engine, label, fn, kind in cases:
        log(f"latest: {label} ({n} calls)")
        out.append(row(engine, label, measure(fn, n, warmup=20), kind=kind))
    return out


def frame_cases(engines, calls: dict) -> list[tuple]:
    """(engine, label, kind, dataset kwargs) for the write and merge workloads: every
    engine, plus systore on a dataset partitioned as minute bars."""
    cases = [(e, f"{e.label}: {calls[e.id]}", "main", {}) for e in engines.values()]
    st = engines["systore"]
    cases.insert(1, (st, f"systore: {calls['systore']}, dataset {MINUTE_FRAMES} (month partitions)",
                     "variant", {"dataset": MINUTE_FRAMES}))
    return cases


def bench_write(engines, args) -> list[dict]:
    """Workload 3a: a 100k-row frame to a new key (a new key every call)."""
    from systore.timeseries import _to_arrow

    frame = make_frame(FRAME_ROWS, "2024-01-01", seed=1)
    calls = {"systore": "ts.write", "arcticdb": "lib.write", "pandas": "DataFrame.to_parquet"}
    out = []
    for e, label, kind, kw in frame_cases(engines, calls):
        counter = iter(range(10**6))
        log(f"write: {label} ({args.reps} reps)")
        samples = measure(lambda key, e=e, kw=kw: e.write(key, frame, **kw), args.reps,
                          setup=lambda c=counter: f"new{next(c)}")
        out.append(row(e.id, label, samples, kind=kind))
        back = e.read_frame("new0", **kw)
        assert len(back) == FRAME_ROWS and np.array_equal(back["price"], frame["price"]), label
    log("write: diagnostic, the package's pandas -> Arrow conversion alone")
    out.insert(2, row("systore", "diagnostic: its pandas -> Arrow conversion alone (part of ts.write)",
                      measure(lambda: _to_arrow(frame), args.reps), kind="diagnostic"))
    return out


def bench_merge(engines, args) -> list[dict]:
    """Workload 3b: a 100k-row frame whose first half overlaps the last 50k rows of a
    1M-row series (new values there) and whose second half is new; incoming rows win.
    The series is restored (untimed) before each call."""
    base = make_frame(MERGE_BASE_ROWS, "2022-01-03", seed=2)
    upd = make_frame(FRAME_ROWS, str(base.index[-FRAME_ROWS // 2]), seed=3)
    expected = pd.concat([base[base.index < upd.index[0]], upd])
    calls = {"systore": 'ts.merge(mode="overwrite")', "arcticdb": "lib.update",
             "pandas": "read_parquet + concat + to_parquet"}
    out = []
    for e, label, kind, kw in frame_cases(engines, calls):
        log(f"merge: {label} ({args.reps} reps)")

        def restore(e=e, kw=kw):
            e.write("merged", base, **kw)
            return "merged"

        samples = measure(lambda key, e=e, kw=kw: e.update(key, upd, **kw), args.reps, setup=restore)
        out.append(row(e.id, label, samples, kind=kind))
        back = e.read_frame("merged", **kw)
        assert back.index.equals(expected.index) and np.array_equal(back["price"], expected["price"]), label
    return out


# --------------------------------------------------------------------------- pysystemtrade


def pysystemtrade_setup(args, tmp: Path) -> dict:
    """Untimed: pysystemtrade on sys.path, a systore root filled by `systore ingest
    pysystemtrade`, and pysystemtrade's Parquet store filled from its CSV classes.
    Returns {backend: factory of a fresh futuresSimData}."""
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", str(tmp / "pysys_private"))
    (tmp / "pysys_private").mkdir(exist_ok=True)
    sys.path.insert(0, str(args.pysystemtrade))
    warnings.simplefilter("ignore")
    from backtest_all import csv_sim_data  # scripts/backtest_all.py
    from sysdata.csv.csv_instrument_data import csvFuturesInstrumentData
    from sysdata.csv.csv_roll_parameters import csvRollParametersData
    from sysdata.csv.csv_spread_costs import csvSpreadCostData
    from sysdata.data_blob import dataBlob
    from sysdata.parquet.parquet_access import ParquetAccess
    from sysdata.parquet.parquet_adjusted_prices import parquetFuturesAdjustedPricesData
    from sysdata.parquet.parquet_multiple_prices import parquetFuturesMultiplePricesData
    from sysdata.parquet.parquet_spotfx_prices import parquetFxPricesData
    from sysdata.sim.futures_sim_data_with_data_blob import genericBlobUsingFuturesSimData
    from systore.pysystemtrade import systoreFuturesSimData
    logging.getLogger().setLevel(logging.ERROR)  # pysystemtrade logs DEBUG to stdout

    root = tmp / "pysys_systore"
    t = time.perf_counter()
    subprocess.run([str(args.systore_bin), "--root", str(root), "ingest", "pysystemtrade", str(args.data)],
                   check=True, capture_output=True)
    log(f"backtest setup: systore ingest pysystemtrade ({time.perf_counter() - t:.1f} s)")

    t = time.perf_counter()
    pq_root = tmp / "pysys_parquet"
    src = csv_sim_data(args.data).data
    access = ParquetAccess(str(pq_root))
    adj, mult, fx = (cls(access) for cls in (parquetFuturesAdjustedPricesData,
                                             parquetFuturesMultiplePricesData, parquetFxPricesData))
    for code in src.db_futures_adjusted_prices.get_list_of_instruments():
        adj.add_adjusted_prices(code, src.db_futures_adjusted_prices.get_adjusted_prices(code),
                                ignore_duplication=True)
    for code in src.db_futures_multiple_prices.get_list_of_instruments():
        mult.add_multiple_prices(code, src.db_futures_multiple_prices.get_multiple_prices(code),
                                 ignore_duplication=True)
    for code in src.db_fx_prices.get_list_of_fxcodes():
        fx.add_fx_prices(code, src.db_fx_prices.get_fx_prices(code), ignore_duplication=True)
    log(f"backtest setup: pysystemtrade's parquet store filled from its CSV classes "
        f"({time.perf_counter() - t:.1f} s)")

    config_dir = str(Path(args.data) / "csvconfig")

    def parquet_sim_data():
        # dbFuturesSimData's classes, with the spread costs from csv instead of MongoDB.
        blob = dataBlob(parquet_store_path=str(pq_root),
                        csv_data_paths={"csvFuturesInstrumentData": config_dir,
                                        "csvRollParametersData": config_dir,
                                        "csvSpreadCostData": config_dir},
                        class_list=[parquetFuturesAdjustedPricesData, parquetFuturesMultiplePricesData,
                                    parquetFxPricesData, csvFuturesInstrumentData, csvRollParametersData,
                                    csvSpreadCostData])
        return genericBlobUsingFuturesSimData(data=blob)

    return {"systore": lambda: systoreFuturesSimData(str(root)),
            "csv": lambda: csv_sim_data(args.data),
            "parquet": parquet_sim_data}


BACKEND_LABELS = {"systore": "systore: systoreFuturesSimData",
                  "csv": "pysystemtrade csvFuturesSimData (CSV files)",
                  "parquet": "pysystemtrade parquet classes (ParquetAccess, one file per series)"}


def load_data(sim, instruments) -> int:
    """What a backtest reads per instrument, through the sim data object."""
    rows = 0
    for code in instruments:
        rows += len(sim.get_backadjusted_futures_price(code))
        rows += len(sim.get_multiple_prices(code))
        rows += len(sim.get_fx_for_instrument(code, "USD"))
    return rows


def backtest(sim, instruments) -> pd.Series:
    """tests/python/test_pysystemtrade_backtest.py's system: chapter-15 config, equal weights."""
    from sysdata.config.configdata import Config
    from systems.provided.futures_chapter15.basesystem import futures_system

    config = Config("systems.provided.futures_chapter15.futuresconfig.yaml")
    config.instrument_weights = {i: 1 / len(instruments) for i in instruments}
    for k in ("countries", "asset_classes"):
        if hasattr(config, k):
            delattr(config, k)
    system = futures_system(data=sim, config=config)
    return system.accounts.portfolio().percent


def bench_backtest(args, tmp: Path) -> tuple[list[dict], list[dict], dict]:
    """Workload 4: (a) data loading, (b) the whole backtest, on three backends. A fresh
    sim data object (and, for systore, a freshly opened store) in every repetition."""
    factories = pysystemtrade_setup(args, tmp)
    instruments = args.instruments
    loads, runs, curves = [], [], {}
    for backend, factory in factories.items():
        # One untimed call first (the warm-up: lazy imports, first-use caches), then timed ones.
        log(f"backtest: data loading, {backend} ({args.load_reps} reps)")
        rows = load_data(factory(), instruments)
        samples = measure(lambda _, f=factory: load_data(f(), instruments), args.load_reps,
                          setup=gc.collect, warmup=0)
        loads.append(row(backend, BACKEND_LABELS[backend], samples, rows=rows))
    for backend, factory in factories.items():
        log(f"backtest: whole backtest, {backend} (1 untimed + {args.backtest_reps} reps)")
        curves[backend] = backtest(factory(), instruments)
        samples = measure(lambda _, f=factory: backtest(f(), instruments), args.backtest_reps,
                          setup=gc.collect, warmup=0)
        runs.append(row(backend, BACKEND_LABELS[backend], samples))
    ref = curves["csv"]
    agree = {}
    for backend, curve in curves.items():
        same_days = curve.index.equals(ref.index)
        diff = float((curve - ref).abs().max())
        agree[backend] = {"days": len(curve), "same_days_as_csv": same_days, "max_abs_diff_vs_csv": diff}
        log(f"backtest: {backend} curve {len(curve)} days, max abs diff vs csv {diff:.3g} (percent)")
    return loads, runs, agree


# --------------------------------------------------------------------------- report


def fmt_time(seconds: float, unit: str) -> str:
    scale, digits = {"s": (1, 3), "ms": (1e3, 2), "us": (1e6, 1)}[unit]
    return f"{seconds * scale:,.{digits}f}"


def ratio_table(title, rows, unit, stat="median", note=None) -> C.Table:
    """One row per measurement; ratio = engine's stat / systore's main row's stat."""
    base = next(r for r in rows if r["engine"] == "systore" and r["kind"] == "main")
    t = C.Table(title, ["engine", f"{stat} {unit}", "reps", "ratio vs systore"])
    for r in rows:
        t.add(r["label"], fmt_time(r[stat], unit), r["reps"],
              "-" if r is base else C.ratio(r[stat], base[stat]))
    if note:
        t.notes.append(note)
    return t


def latency_table(title, rows) -> C.Table:
    base = next(r for r in rows if r["engine"] == "systore" and r["kind"] == "main")
    t = C.Table(title, ["engine", "p50 us", "p99 us", "calls", "ratio p50", "ratio p99"])
    for r in rows:
        t.add(r["label"], fmt_time(r["p50"], "us"), fmt_time(r["p99"], "us"), r["reps"],
              "-" if r is base else C.ratio(r["p50"], base["p50"]),
              "-" if r is base else C.ratio(r["p99"], base["p99"]))
    return t


def build_tables(res: dict, args) -> list[C.Table]:
    tables = []
    if "read_all" in res:
        d = res["data"]
        tables.append(ratio_table(
            f"read every adjusted series into pandas ({d['series']} series, {d['rows']:,} rows)",
            res["read_all"], "s",
            note="each engine returns one DataFrame per series (systore: dict from read_many; "
                 "ArcticDB: list of VersionedItem; pandas: one read_parquet per file); ratios against "
                 "the first row"))
    if "latest" in res:
        tables.append(latency_table(f"last 100 rows of {args.latest_key} from Python", res["latest"]))
    if "write" in res:
        tables.append(ratio_table(f"write a {FRAME_ROWS:,}-row frame (2 float64 columns) to a new key",
                                  res["write"], "ms"))
    if "merge" in res:
        tables.append(ratio_table(
            f"merge a {FRAME_ROWS:,}-row frame over the tail of a {MERGE_BASE_ROWS:,}-row series",
            res["merge"], "ms",
            note=f"first {FRAME_ROWS // 2:,} incoming rows replace the last {FRAME_ROWS // 2:,} stored "
                 f"ones, the other {FRAME_ROWS // 2:,} are new; the series is rewritten (untimed) before "
                 "each call"))
    if "backtest_load" in res:
        n = len(args.instruments)
        tables.append(ratio_table(
            f"pysystemtrade data loading: adjusted + multiple + FX for {n} instruments",
            res["backtest_load"], "ms",
            note=f"{', '.join(args.instruments)}; a new sim data object each repetition (its "
                 "construction timed), get_backadjusted_futures_price + get_multiple_prices + "
                 "get_fx_for_instrument(code, 'USD')"))
        tables.append(ratio_table(
            f"pysystemtrade backtest: futures_system to accounts.portfolio().percent, {n} instruments",
            res["backtest"], "s",
            note="max abs difference of the percent curve vs csv: " + ", ".join(
                f"{b} {a['max_abs_diff_vs_csv']:.2g} ({a['days']} days)"
                for b, a in res["backtest_agreement"].items())))
    return tables


def targets(res: dict) -> list[str]:
    def main(rows, engine, stat="median"):
        return next(r[stat] for r in rows if r["engine"] == engine and r["kind"] == "main")

    out = []
    if "read_all" in res:
        r = res["read_all"]
        s = main(r, "systore")
        out.append(f"read_all: systore {main(r, 'arcticdb') / s:.2f}x ArcticDB (target >= 3x), "
                   f"{main(r, 'pandas') / s:.2f}x pandas+pyarrow (target >= 10x)")
    if "latest" in res:
        out.append(f"latest: systore p50 {main(res['latest'], 'systore', 'p50') * 1e6:.1f} us (target < 20 us)")
    for w in ("write", "merge"):
        if w in res:
            arctic = main(res[w], "arcticdb")
            month = next(r["median"] for r in res[w] if r["kind"] == "variant")
            out.append(f"{w}: systore {arctic / main(res[w], 'systore'):.2f}x ArcticDB, "
                       f"{arctic / month:.2f}x with month partitions (target > 1)")
    return out


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and instruments (< 2 minutes)")
    ap.add_argument("--only", help=f"comma-separated subset of {','.join(WORKLOADS)}")
    ap.add_argument("--data", type=Path, default=SHARED / "data",
                    help="pysystemtrade data (default ../shared/data)")
    ap.add_argument("--pysystemtrade", type=Path, default=SHARED / "pysystemtrade", help="its package root")
    ap.add_argument("--systore-bin", type=Path,
                    default=Path(os.environ.get("SYSTORE_BIN", REPO / "build/tools/systore/systore")),
                    help="the systore CLI, for `ingest pysystemtrade` (default $SYSTORE_BIN or build/...)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()),
                    help="parent of the temporary directory (removed after the run)")
    ap.add_argument("--latest-key", default="US10", help="series of the latest workload (default US10)")
    ap.add_argument("--instruments", help=f"backtest instruments (default {','.join(INSTRUMENTS)}; "
                                          f"--quick {','.join(QUICK_INSTRUMENTS)})")
    ap.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    args = ap.parse_args(argv)
    args.only = set(args.only.split(",")) if args.only else set(WORKLOADS)
    if args.only - set(WORKLOADS):
        ap.error(f"unknown workloads {sorted(args.only - set(WORKLOADS))}")
    args.instruments = (args.instruments.split(",") if args.instruments
                        else QUICK_INSTRUMENTS if args.quick else INSTRUMENTS)
    # Repetitions: (full, quick).
    pick = (lambda full, quick: quick if args.quick else full)
    args.reps = pick(9, 3)
    args.latest_calls = pick(2000, 300)
    args.load_reps = pick(5, 2)
    args.backtest_reps = pick(3, 1)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now()
    tmp = Path(tempfile.mkdtemp(prefix="python_bench-", dir=args.workdir))
    res: dict = {}
    engines = {}
    try:
        if args.only & {"read_all", "latest", "write", "merge"}:
            log("reading the adjusted CSVs (untimed; also warms the page cache)")
            frames = {key: P.read_series_csv(path, P.ADJUSTED)[0]
                      for key, path in P.csv_files(args.data, P.ADJUSTED)}
            res["data"] = {"series": len(frames), "rows": sum(len(f) for f in frames.values())}
            for cls in ENGINES:
                e = cls(tmp / cls.id)
                t = time.perf_counter()
                e.load(frames)
                log(f"{e.label}: wrote {len(frames)} adjusted series ({time.perf_counter() - t:.2f} s, untimed)")
                engines[e.id] = e
            del frames
            if "read_all" in args.only:
                res["read_all"] = bench_read_all(engines, args, res["data"]["rows"])
            if "latest" in args.only:
                res["latest"] = bench_latest(engines, args, args.latest_key)
            if "write" in args.only:
                res["write"] = bench_write(engines, args)
            if "merge" in args.only:
                res["merge"] = bench_merge(engines, args)
            for e in engines.values():
                e.close()
            engines.clear()
        if "backtest" in args.only:
            # pysystemtrade prints its own messages to stdout: keep stdout for the tables.
            with contextlib.redirect_stdout(sys.stderr):
                res["backtest_load"], res["backtest"], res["backtest_agreement"] = bench_backtest(args, tmp)
    finally:
        engines.clear()
        gc.collect()
        shutil.rmtree(tmp, ignore_errors=True)

    tables = build_tables(res, args)
    goals = targets(res)
    print("\n\n".join(t.text() for t in tables))
    print("\ntargets:\n" + "\n".join(f"  {g}" for g in goals))
    meta = {"date": started.strftime("%Y-%m-%d %H:%M:%S"), "command": C.command_line(),
            "quick": args.quick, "machine": C.machine_info(), "versions": C.versions(),
            "instruments": args.instruments, "latest_key": args.latest_key,
            "seconds_total": time.perf_counter() - _T0}
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"python_bench-{started.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"meta": meta, "results": res, "targets": goals}, indent=1) + "\n")
    log(f"results: {out.relative_to(REPO)} ({meta['seconds_total']:.0f} s in all)")
    if args.markdown:
        args.markdown.write_text("\n\n".join(t.markdown() for t in tables) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
