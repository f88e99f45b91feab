#!/usr/bin/env python3
"""Small appends side by side: systore's write-ahead log (durable, group commit) against
ArcticDB (one lib.append per row, LMDB) and pysystemtrade's way (rewrite the series'
Parquet file with pandas on every update). Prints a Markdown table with ratios.

    .venv/bin/python bench/compare_appends.py [--appends 3000] [--markdown FILE]

Peers are not fsynced per append (neither pandas.to_parquet nor ArcticDB's LMDB
backend as configured by default make that promise), so the comparison flatters them.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent


def systore(bench: str, root: str, *args: str) -> dict:
    out = subprocess.run([bench, "--root", root, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def frame(ts_ns: list[int], px: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"price": px}, index=pd.DatetimeIndex(pd.to_datetime(ts_ns, utc=True), name="DATETIME"))


def timed_appends(threads: int, per_thread: int, append) -> dict:
    lat: list[list[float]] = [[] for _ in range(threads)]

    def work(t: int) -> None:
        for i in range(1, per_thread + 1):
            a = time.perf_counter()
            append(t, i)
            lat[t].append((time.perf_counter() - a) * 1e6)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    s = time.perf_counter() - t0
    all_lat = np.concatenate([np.array(x) for x in lat])
    return {"rows_per_second": threads * per_thread / s, "p50_us": float(np.percentile(all_lat, 50)),
            "p99_us": float(np.percentile(all_lat, 99))}


def pandas_rewrite(tmp: Path, threads: int, per_thread: int) -> dict:
    for t in range(threads):
        frame([0], [100.0]).to_parquet(tmp / f"S{t}.parquet")

    def append(t: int, i: int) -> None:
        path = tmp / f"S{t}.parquet"
        old = pd.read_parquet(path)
        pd.concat([old, frame([i * 10**9], [100 + i * 0.25])]).to_parquet(path)

    return timed_appends(threads, per_thread, append)


def arcticdb_append(tmp: Path, threads: int, per_thread: int) -> dict:
    import arcticdb as adb
    lib = adb.Arctic(f"lmdb://{tmp}").get_library("live", create_if_missing=True)
    for t in range(threads):
        lib.write(f"S{t}", frame([0], [100.0]))

    def append(t: int, i: int) -> None:
        lib.append(f"S{t}", frame([i * 10**9], [100 + i * 0.25]))

    return timed_appends(threads, per_thread, append)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appends", type=int, default=3000, help="appends per thread")
    ap.add_argument("--systore-bench", default=str(REPO / "build" / "bench" / "systore_bench"))
    ap.add_argument("--markdown", help="write the tables here too")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="systore-appends-", dir=REPO / "bench"))
    rows = []
    try:
        probe = systore(args.systore_bench, str(work / "probe"), "--workload", "fsync_probe")
        for threads in (1, 8):
            n = args.appends
            s = systore(args.systore_bench, str(work / f"s{threads}"), "--workload", "durable_appends",
                        "--threads", str(threads), "--appends", str(n))
            rows.append(("systore (WAL, fdatasync per group)", threads, s))
            (work / f"p{threads}").mkdir()
            rows.append(("pandas: rewrite the series' Parquet file (pysystemtrade)", threads,
                         pandas_rewrite(work / f"p{threads}", threads, max(200, n // 10))))
            try:
                (work / f"a{threads}").mkdir()
                rows.append(("ArcticDB lib.append per row (LMDB)", threads,
                             arcticdb_append(work / f"a{threads}", threads, max(200, n // 5))))
            except Exception as e:  # noqa: BLE001 - report, keep the rest
                print(f"ArcticDB failed: {e}", file=sys.stderr)
        mixed = systore(args.systore_bench, str(work / "mixed"), "--workload", "mixed", "--seconds", "5")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"fdatasync on this machine: {probe['fsyncs_per_second']:.0f}/s ({probe['us_per_fsync']:.0f} us each)", "",
             "| engine | threads | rows/s | p50 us | p99 us | systore rows/s ÷ engine |", "|:--|--:|--:|--:|--:|--:|"]
    base = {t: r["rows_per_second"] for name, t, r in rows if name.startswith("systore")}
    for name, t, r in rows:
        lines.append(f"| {name} | {t} | {r['rows_per_second']:,.0f} | {r['p50_us']:,.0f} | {r['p99_us']:,.0f} | "
                     f"{base[t] / r['rows_per_second']:.1f} |")
    lines += ["", f"Mixed load (4 appending threads over 200 series, a reader process reading the last 100 rows of "
                  f"random series for 5 s): {mixed['appends_per_second']:,.0f} appends/s; reader p50 "
                  f"{mixed['reader_p50_us']:.0f} us, p99 {mixed['reader_p99_us']:.0f} us over {mixed['reads']:,} reads."]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
