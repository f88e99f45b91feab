"""The Python side of the demo: `python -m systore.demo --root DIR` on a store that
`systore demo` (or `systore ingest pysystemtrade`) filled. Shows pandas reads, time travel,
validated ingest with the quarantine, SQL through DuckDB, the operational and reference
stores — and, when pysystemtrade is importable, a backtest on data served by systore.
Each step prints what it did and how long it took."""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

import systore


def _step(title: str):
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _done(t0: float, what: str) -> None:
    print(f"   {what} ({(time.perf_counter() - t0) * 1e3:.1f} ms)", flush=True)


def run(root: str, pysystemtrade: str | None = None, instruments: int = 3) -> int:
    st = systore.open(root, actor="systore-demo")
    ts = st.timeseries
    datasets = ts.list_datasets()
    if "prices/adjusted" not in datasets:
        print(f"systore.demo: {root} has no prices/adjusted dataset; run `systore demo` or "
              f"`systore ingest pysystemtrade DIR` first", file=sys.stderr)
        return 2
    print(f"store {root}: datasets {', '.join(datasets)}")

    t0 = _step("read every adjusted-price series into pandas (read_many: parallel, Arrow, no copies)")
    keys = ts.list_keys("prices/adjusted")
    frames = ts.read_many("prices/adjusted", keys)
    rows = sum(len(f) for f in frames.values())
    _done(t0, f"{len(frames)} series, {rows:,} rows")
    key = keys[0]
    print(frames[key].tail(3).to_string())

    t0 = _step(f"latest 5 rows of {key}, and its versions")
    print(ts.latest("prices/adjusted", key, n=5).to_string())
    vs = ts.versions("prices/adjusted", key)
    _done(t0, f"{len(vs)} versions: " + ", ".join(f"v{v['version']} {v['operation']}" for v in vs[-3:]))

    t0 = _step("the next day through the quality gate: one ordinary row, one 30x spike")
    last = frames[key]
    col = "price" if "price" in last.columns else last.columns[0]
    p = float(last[col].iloc[-1])
    day = last.index[-1] + pd.Timedelta(days=1)
    while day.weekday() >= 5:
        day += pd.Timedelta(days=1)
    other = keys[1] if len(keys) > 1 else key
    q = float(frames[other][col].iloc[-1])
    new = {key: pd.DataFrame({col: [p * 1.001]}, index=pd.DatetimeIndex([day])),
           other: pd.DataFrame({col: [q * 30]}, index=pd.DatetimeIndex([day]))}
    summary = ts.ingest("prices/adjusted", new, source="demo")
    _done(t0, f"rows added {summary['rows_added']}, quarantined {summary['rows_quarantined']}, "
              f"version {summary['version']}")
    for f in summary["serious_findings"][:3]:
        print(f"   {f['severity']} {f['rule']} {f['key']}: {f['message']}")
    pending = st.quality.quarantine.list("pending")
    if pending:
        e = pending[-1]
        print(f"   quarantine entry {e['id']}: {e['dataset']} {e['key']}, {e['rows']} row(s), {e['reason']}")
        st.quality.quarantine.drop(e["id"], reason="demo: a fat-finger tick", actor="systore-demo")
        print(f"   dropped entry {e['id']} (the decision is in the audit trail)")

    t0 = _step("time travel: the series before the ingest")
    before = ts.read("prices/adjusted", key, as_of=vs[-1]["version"])
    now = ts.read("prices/adjusted", key)
    _done(t0, f"as_of=v{vs[-1]['version']}: {len(before):,} rows; now: {len(now):,} rows")

    try:
        import duckdb
    except ImportError:
        duckdb = None
    if duckdb is not None:
        t0 = _step("SQL through DuckDB over exactly the current version's files")
        con = duckdb.connect()
        view = ts.to_duckdb(con, "prices/adjusted")
        top = con.sql(f"select key, count(*) as n, max(ts) as last from {view} group by key "
                      f"order by n desc limit 3").df()
        _done(t0, f"view {view}")
        print(top.to_string(index=False))

    t0 = _step("operational store: an order, two fills, positions, reconcile")
    op = st.operational
    oid = op.add_order("demo", key, 3, contract="20260300")
    op.submit_order(oid)
    op.apply_fill(oid, 1, p, exec_id=f"demo-{oid}-1")
    r = op.apply_fill(oid, 2, p * 1.0002, exec_id=f"demo-{oid}-2")
    rec = op.reconcile()
    _done(t0, f"order {oid} {r['order']['status']} at {r['order']['average_fill_price']:.4f}; "
              f"position {r['strategy_position']}; reconcile ok={rec['ok']} ({op.backend})")

    t0 = _step("reference data: a change with a reason, its history, the hash chain")
    ref = st.reference
    v = ref.set("spread_costs", key, {"SpreadCost": 0.0025}, reason="demo: broker quote")
    hist = ref.history("spread_costs", key)
    rep = ref.verify()
    _done(t0, f"version {v}; {len(hist)} change(s) of {key}; verify ok={rep['ok']} head {rep['head_hash'][:12]}")

    if pysystemtrade:
        _backtest(root, pysystemtrade, instruments)
    else:
        print("\n(pass --pysystemtrade ../shared/pysystemtrade, on a store filled from its data, to run its backtest "
              "on systore)")
    print("\ndone.")
    return 0


def _backtest(root: str, path: str, instruments: int) -> None:
    t0 = _step("pysystemtrade's futures_system on data served by systore")
    sys.path.insert(0, os.path.abspath(path))
    os.environ.setdefault("PYSYS_PRIVATE_CONFIG_DIR", os.path.join(os.path.abspath(path), "private"))
    from sysdata.config.configdata import Config
    from systems.provided.futures_chapter15.basesystem import futures_system

    from systore.pysystemtrade import systoreFuturesSimData
    data = systoreFuturesSimData(root)
    codes = [c for c in ("US10", "PALLAD", "IBEX", "COFFEE", "JGB-mini") if c in data.get_instrument_list()]
    codes = codes[:instruments]
    if not codes:
        print("   no pysystemtrade instruments in this store (synthetic data): skipped")
        return
    import logging
    logging.disable(logging.INFO)  # pysystemtrade logs every calculation at DEBUG/INFO
    config = Config("systems.provided.futures_chapter15.futuresconfig.yaml")
    config.instrument_weights = {c: 1.0 / len(codes) for c in codes}
    system = futures_system(data=data, config=config)
    curve = system.accounts.portfolio().percent
    _done(t0, f"{', '.join(codes)}: {len(curve)} days, total {float(np.nansum(curve)):.1f}%")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m systore.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.environ.get("SYSTORE_ROOT", "systore-data"),
                    help="store root filled by `systore demo` (default $SYSTORE_ROOT or ./systore-data)")
    ap.add_argument("--pysystemtrade", help="pysystemtrade's source folder: also run its backtest on systore")
    ap.add_argument("--instruments", type=int, default=3, help="instruments in the backtest (default 3)")
    a = ap.parse_args(argv)
    try:
        return run(a.root, a.pysystemtrade, a.instruments)
    except systore.Error as e:
        print(f"systore.demo: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
