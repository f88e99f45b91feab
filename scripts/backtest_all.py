#!/usr/bin/env python3
"""pysystemtrade's standard backtest on every usable instrument of ../shared/data, once on
its own CSVs (csvFuturesSimData) and once on systore (systoreFuturesSimData over a store
filled by `systore ingest pysystemtrade`); every day's portfolio P&L must agree.

    .venv/bin/python scripts/backtest_all.py [--tolerance 1e-6] [--root DIR] [--only US10,SOFR]

The system is the chapter-15 futures_system with equal instrument weights, exactly as in
tests/python/test_pysystemtrade_backtest.py. Prints progress and a summary (instruments,
days, max abs difference, seconds); exits 0 when every day agrees within the tolerance,
1 on a mismatch, 2 when something else fails. pysystemtrade (GPL) is imported from
../shared/pysystemtrade, never copied; so is the data.
"""
from __future__ import annotations

import argparse
import logging
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Instruments left out; each checked on this data, alone and beside US10, PALLAD, IBEX,
# COFFEE, JGB-mini (with --only), on the csv backtest and on systore alike:
EXCLUDED = {
    # adjusted prices go negative (min -5.18): its P&L is -inf on 854 days, so the portfolio's is -inf
    # and its Sharpe NaN
    "ETHANOL": "negative adjusted prices: P&L of -inf",
    # 535 / 160 / 478 rows covering only 2023-06-01..2023-08-31 (about 65 business days), too
    # short for the system's estimates: in a portfolio they never take a position (its P&L is
    # the same with any one of them, they only dilute the weights); alone, COPPER_LME and
    # ZINC_LME fail in pysystemtrade (TypeError from isinf on an object-dtype P&L)
    "COPPER_LME": "65-day history: no positions",
    "NICKEL_LME": "64-day history: no positions",
    "ZINC_LME": "65-day history: no positions",
    # 64 distinct prices in 468 rows (stale, mostly constant): volatility near zero, positions
    # explode (P&L of -6e13 alone, -7e11 for the six-instrument portfolio)
    "HOUSE-US": "stale prices: near-zero volatility, exploding positions",
}


def log(msg: str, t0: float) -> None:
    print(f"[{time.time() - t0:7.1f} s] {msg}", flush=True)


def csv_sim_data(data_dir: pathlib.Path):
    from sysdata.sim.csv_futures_sim_data import csvFuturesSimData
    d = str(data_dir)
    return csvFuturesSimData(csv_data_paths=dict(
        csvFuturesAdjustedPricesData=f"{d}/adjusted_prices_csv",
        csvFuturesMultiplePricesData=f"{d}/multiple_prices_csv",
        csvFxPricesData=f"{d}/fx_prices_csv",
        csvFuturesInstrumentData=f"{d}/csvconfig",
        csvRollParametersData=f"{d}/csvconfig",
        csvSpreadCostData=f"{d}/csvconfig"))


def usable_instruments(data_dir: pathlib.Path) -> list:
    """Instruments with adjusted and multiple prices, instrument config, roll parameters and
    a spread cost, less EXCLUDED."""
    import pandas as pd
    stems = lambda sub: {p.stem for p in (data_dir / sub).glob("*.csv")}  # noqa: E731
    have = stems("adjusted_prices_csv") & stems("multiple_prices_csv")
    for f in ("instrumentconfig.csv", "rollconfig.csv", "spreadcosts.csv"):
        have &= set(pd.read_csv(data_dir / "csvconfig" / f)["Instrument"].astype(str))
    return sorted(have - set(EXCLUDED))


def backtest(name: str, data, instruments: list, t0: float):
    from sysdata.config.configdata import Config
    from systems.provided.futures_chapter15.basesystem import futures_system

    config = Config("systems.provided.futures_chapter15.futuresconfig.yaml")
    config.instrument_weights = {i: 1 / len(instruments) for i in instruments}
    for k in ("countries", "asset_classes"):  # the stock config names instruments the data lacks
        if hasattr(config, k):
            delattr(config, k)
    system = futures_system(data=data, config=config)
    start = time.time()
    for n, code in enumerate(instruments, 1):
        system.accounts.pandl_for_instrument(code)
        if n == 1 or n % 10 == 0 or n == len(instruments):
            log(f"{name:8s} {n:3d}/{len(instruments)} instruments ({code})", t0)
    portfolio = system.accounts.portfolio()
    pnl = portfolio.as_ts
    log(f"{name:8s} portfolio: {len(pnl)} days, Sharpe {portfolio.sharpe():.6f}", t0)
    return system, pnl, time.time() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(SHARED / "data"), help="pysystemtrade data folder (default ../shared/data)")
    ap.add_argument("--pysystemtrade", default=str(SHARED / "pysystemtrade"), help="its package root")
    ap.add_argument("--systore", default=os.environ.get("SYSTORE_BIN", str(REPO / "build/tools/systore/systore")),
                    help="the systore binary (default $SYSTORE_BIN, else build/tools/systore/systore)")
    ap.add_argument("--root", help="store root to ingest into (default: a temporary directory, removed after)")
    ap.add_argument("--tolerance", type=float, default=1e-6, help="max abs daily P&L difference (default 1e-6)")
    ap.add_argument("--only", help="comma-separated instruments instead of all usable ones")
    ap.add_argument("--verbose", action="store_true", help="keep pysystemtrade's log and Python warnings")
    args = ap.parse_args()
    t0 = time.time()
    data_dir = pathlib.Path(args.data)

    private = tempfile.mkdtemp(prefix="pysys_private_")
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", private)
    sys.path.insert(0, args.pysystemtrade)
    sys.path.insert(0, str(REPO / "python"))
    if not args.verbose:
        warnings.simplefilter("ignore")
    import numpy as np
    import systore
    from systore.pysystemtrade import systoreFuturesSimData
    if not args.verbose:
        logging.getLogger().setLevel(logging.ERROR)  # pysystemtrade logs DEBUG to stdout

    instruments = args.only.split(",") if args.only else usable_instruments(data_dir)
    log(f"{len(instruments)} instruments" + ("" if args.only else f" (left out: {', '.join(sorted(EXCLUDED))})"), t0)

    tmp_root = None if args.root else tempfile.mkdtemp(prefix="systore_backtest_")
    root = args.root or os.path.join(tmp_root, "store")
    try:
        t = time.time()
        p = subprocess.run([args.systore, "--root", root, "ingest", "pysystemtrade", str(data_dir)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"systore ingest failed ({p.returncode}):\n{p.stdout}\n{p.stderr}", file=sys.stderr)
            return 2
        total = [ln for ln in p.stdout.splitlines() if ln.startswith("total:")]
        ingest_s = time.time() - t
        log(f"ingest into {root}: {total[0] if total else 'done'} ({ingest_s:.1f} s)", t0)

        csv_data = csv_sim_data(data_dir)
        st_data = systoreFuturesSimData(systore.open(root))
        missing = sorted(set(instruments) - set(st_data.get_instrument_list()))
        if missing:
            print(f"not in the store: {missing}", file=sys.stderr)
            return 2

        csv_system, pnl_csv, csv_s = backtest("csv", csv_data, instruments, t0)
        st_system, pnl_st, st_s = backtest("systore", st_data, instruments, t0)

        problems = []
        if not pnl_csv.index.equals(pnl_st.index):
            problems.append(f"the days differ: csv {len(pnl_csv)} ({pnl_csv.index[0]}..{pnl_csv.index[-1]}), "
                            f"systore {len(pnl_st)} ({pnl_st.index[0]}..{pnl_st.index[-1]})")
            pnl_st = pnl_st.reindex(pnl_csv.index)
        a, b = pnl_csv.to_numpy(float), pnl_st.to_numpy(float)
        same = (a == b) | (np.isnan(a) & np.isnan(b))  # also the same infinity
        finite = np.isfinite(a) & np.isfinite(b)
        diff = np.abs(a[finite] - b[finite])
        max_diff = float(diff.max()) if diff.size else 0.0
        bad_days = int((~same & ~finite).sum() + (diff > args.tolerance).sum())
        if bad_days:
            problems.append(f"{bad_days} days differ by more than {args.tolerance:g} (or are NaN/inf on one side)")
        if not np.isfinite(a).any() or np.nansum(np.abs(a)) == 0:
            problems.append("the csv P&L is empty, NaN or zero: not a real curve")
        if problems:  # say which instruments differ
            worst = []
            for code in instruments:
                x = csv_system.accounts.pandl_for_instrument(code).as_ts
                y = st_system.accounts.pandl_for_instrument(code).as_ts.reindex(x.index)
                worst.append((float((x - y).abs().max()), code))
            worst.sort(reverse=True)
            problems.append("largest per-instrument differences: " +
                            ", ".join(f"{c} {d:.3g}" for d, c in worst[:5]))

        print()
        print("summary")
        print(f"  instruments        {len(instruments)}")
        print(f"  days               {len(pnl_csv)} ({pnl_csv.index[0].date()} .. {pnl_csv.index[-1].date()})")
        print(f"  max abs daily diff {max_diff:.3e} (tolerance {args.tolerance:g})")
        print(f"  total P&L          csv {np.nansum(a):.6f}   systore {np.nansum(b):.6f}")
        print(f"  seconds            ingest {ingest_s:.1f}, csv backtest {csv_s:.1f}, "
              f"systore backtest {st_s:.1f}, total {time.time() - t0:.1f}")
        for pr in problems:
            print(f"  MISMATCH: {pr}")
        print("  result             " + ("MISMATCH" if problems else "OK: every day's P&L agrees"))
        return 1 if problems else 0
    finally:
        if tmp_root:
            shutil.rmtree(tmp_root, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
