"""Analytics side by side with the peers, in one run: bars from ticks, as-of joins and
pysystemtrade's volatility.

    .venv/bin/python bench/analytics_bench.py [--ticks 10000000] [--asof 2000000] [--only bars,asof,vol]

systore is timed through the CLI (`systore analytics ...`, the run's own seconds: reading
the source from the store, computing, committing the result), i.e. including work the
in-memory peers do not do. DuckDB is timed over the same data as a Parquet file and in
memory, pandas in memory. The best of --repeat runs each. Results go to stdout and
bench/results/analytics_bench-<timestamp>.json.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import systore  # noqa: E402

BIN = os.environ.get("SYSTORE_BIN", str(REPO / "build" / "tools" / "systore" / "systore"))
PYSYS = REPO.parent / "shared" / "pysystemtrade"
DATA = REPO.parent / "shared" / "data"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cli_seconds(root, *args, peak=None):
    """The run's own seconds from its summary; `peak` (a list) gets its peak RSS in MB,
    measured by /usr/bin/time (getrusage of children would count the forked Python)."""
    cmd = [BIN, "--root", str(root), *args]
    rss_file = None
    if peak is not None and os.path.exists("/usr/bin/time"):
        rss_file = tempfile.mktemp()
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    if rss_file:
        peak.append(int(pathlib.Path(rss_file).read_text().split()[-1]) / 1024)
        os.unlink(rss_file)
    m = re.search(r"^([0-9.]+) s$", p.stdout, re.M)
    return float(m.group(1)) if m else None


def ticks_frame(n, seed=1):
    rng = np.random.default_rng(seed)
    # ~8 ticks per second around the clock for n ticks (several days at 10M).
    ts = pd.Timestamp("2024-03-04", tz="UTC").value + np.cumsum(rng.integers(1, 250_000_000, n))
    price = 5000 + np.cumsum(rng.normal(0, 0.25, n))
    size = rng.integers(1, 50, n).astype(float)
    return pa.table({"ts": pa.array(ts, pa.timestamp("ns", "UTC")), "price": price, "size": size})


def bench_bars(n, repeat, tmp):
    log(f"bars: {n:,} ticks -> 1-minute bars")
    table = ticks_frame(n)
    root = tmp / "store"
    st = systore.open(str(root))
    subprocess.run([BIN, "--root", str(root), "ts", "list"], capture_output=True)
    st.timeseries.write("ticks/ES", "ES", table)
    parquet = tmp / "ticks.parquet"
    pq.write_table(table, parquet, compression="zstd")
    res = {}
    runs = []
    peak = []
    for i in range(repeat):
        runs.append(cli_seconds(root, "analytics", "bars", "ticks/ES", "--interval", "1min", "--out", f"bars/r{i}",
                                peak=peak))
    res["systore (store -> bars -> commit)"] = min(runs)
    if peak:
        res["systore peak RSS MB"] = float(max(peak))
    res["ticks data MB (ts, price, size)"] = table.nbytes / 2**20
    con = duckdb.connect()
    q = """SELECT time_bucket(INTERVAL 1 minute, ts) AS b, first(price ORDER BY ts) o, max(price) h, min(price) l,
                  last(price ORDER BY ts) c, sum(size) v, count(*) n, sum(price*size)/sum(size) vwap
           FROM {src} GROUP BY b ORDER BY b"""
    res["duckdb over parquet"] = best(lambda: con.execute(q.format(src=f"'{parquet}'")).fetch_arrow_table(), repeat)
    con.register("t", table)
    res["duckdb in memory"] = best(lambda: con.execute(q.format(src="t")).fetch_arrow_table(), repeat)
    res["systore.compute_bars in memory (kernel)"] = best(lambda: systore.compute_bars(table, "1min"), repeat)
    df = table.to_pandas().set_index("ts")

    def pandas_bars():
        r = df.resample("1min")
        pd.DataFrame({"o": r["price"].first(), "h": r["price"].max(), "l": r["price"].min(),
                      "c": r["price"].last(), "v": r["size"].sum(), "n": r["price"].count()})

    res["pandas in memory"] = best(pandas_bars, 1 if n > 20_000_000 else repeat)
    return res


def bench_asof(n, repeat, tmp):
    log(f"asof: {n:,} trades x {n:,} quotes")
    rng = np.random.default_rng(2)
    t0 = pd.Timestamp("2024-03-04", tz="UTC").value
    tt = np.unique(t0 + rng.integers(0, 10**14, n))
    qt = np.unique(t0 + rng.integers(0, 10**14, n))
    trades = pa.table({"ts": pa.array(np.sort(tt), pa.timestamp("ns", "UTC")), "px": rng.normal(0, 1, len(tt))})
    quotes = pa.table({"ts": pa.array(np.sort(qt), pa.timestamp("ns", "UTC")), "bid": rng.normal(0, 1, len(qt))})
    root = tmp / "store"
    st = systore.open(str(root))
    st.timeseries.write("trades", "ES", trades)
    st.timeseries.write("quotes", "ES", quotes)
    res = {}
    out = tmp / "j.parquet"

    def systore_asof():
        subprocess.run([BIN, "--root", str(root), "analytics", "asof", "trades", "ES", "quotes", "ES", "--format",
                        "parquet", "--output", str(out)], check=True, capture_output=True)

    res["systore CLI (store -> join -> parquet file)"] = best(systore_asof, repeat)
    # The kernel on tables already in memory, as merge_asof gets them (GIL released).
    res["systore.asof_join in memory (kernel)"] = best(lambda: systore.asof_join(trades, quotes), repeat)
    con = duckdb.connect()
    # Native tables: DuckDB 1.4.4's ASOF JOIN over registered Arrow tables does not finish
    # here (200k x 200k ran > 40 s); over its own tables it takes ~0.06 s.
    con.register("tr_arrow", trades)
    con.register("qu_arrow", quotes)
    con.execute("CREATE TABLE tr AS SELECT * FROM tr_arrow")
    con.execute("CREATE TABLE qu AS SELECT * FROM qu_arrow")
    res["duckdb in memory (native tables)"] = best(
        lambda: con.execute("SELECT tr.ts, px, bid FROM tr ASOF LEFT JOIN qu ON tr.ts >= qu.ts").fetch_arrow_table(),
        repeat)
    tdf, qdf = trades.to_pandas(), quotes.to_pandas()
    res["pandas merge_asof in memory"] = best(lambda: pd.merge_asof(tdf, qdf, on="ts"), repeat)
    return res


def bench_vol(repeat, tmp):
    if not (DATA.exists() and PYSYS.exists()):
        log("vol: skipped (../shared/data or ../shared/pysystemtrade missing)")
        return {}
    log("vol: all adjusted series of ../shared/data")
    root = tmp / "store"
    subprocess.run([BIN, "--root", str(root), "ingest", "pysystemtrade", str(DATA)], check=True, capture_output=True)
    runs = [cli_seconds(root, "analytics", "vol", "prices/adjusted", "--out", f"analytics/vol{i}")
            for i in range(repeat)]
    sys.path.insert(0, str(PYSYS))
    from sysquant.estimators.vol import mixed_vol_calc  # noqa: E402
    st = systore.open(str(root))
    keys = st.timeseries.list_keys("prices/adjusted")
    prices = [st.timeseries.read("prices/adjusted", k)["price"] for k in keys]

    def pandas_vol():
        for p in prices:
            mixed_vol_calc(p.resample("1B").last().diff(), days=35, min_periods=10, slow_vol_years=10,
                           proportion_of_slow_vol=0.3, vol_abs_min=1e-10)

    return {"systore (store -> vol -> commit)": min(runs),
            "pysystemtrade mixed_vol_calc (pandas, prices in memory)": best(pandas_vol, repeat),
            "series": len(keys)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ticks", type=int, default=10_000_000)
    ap.add_argument("--asof", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="bars,asof,vol", help="comma-separated: bars, asof, vol")
    a = ap.parse_args()
    results = {}
    for name, fn in [("bars", lambda t: bench_bars(a.ticks, a.repeat, t)),
                     ("asof", lambda t: bench_asof(a.asof, a.repeat, t)),
                     ("vol", lambda t: bench_vol(a.repeat, t))]:
        if name not in a.only.split(","):
            continue
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="systore-analytics-bench-"))
        try:
            results[name] = fn(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        first = next(iter(results[name].values()), None)
        for k, v in results[name].items():
            if isinstance(v, float) and " MB" in k:
                print(f"{name:5s} {k:55s} {v:9.0f} MB")
            elif isinstance(v, float):
                ratio = f"  ({v / first:.2f}x systore's time)" if first else ""
                print(f"{name:5s} {k:55s} {v * 1000:9.1f} ms{ratio}")
    out = REPO / "bench" / "results" / time.strftime("analytics_bench-%Y%m%d-%H%M%S.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(a), "results": results}, indent=1) + "\n")
    log(f"results: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
