"""Backup and restore throughput against `tar` + `sha256sum` of the same root, side by
side in one run (docs/benchmarks.md, "Backup and restore").

    .venv/bin/python bench/backup_bench.py [--ticks 20000000] [--repeat 3]

The root: the real data set (../shared/data: adjusted and multiple prices, FX, the
reference tables), a few hundred fills, and --ticks synthetic ticks in a tick dataset.
Timed, each best of --repeat, cold repositories each time:
  systore backup create (fresh repository)   vs  tar -cf + sha256sum of the archive
  systore backup create (second, after a daily merge: incremental)
  systore restore (checksums + consistency checks)  vs  sha256sum -c + tar -xf
and the smallest time step point-in-time recovery resolves (reported from the design:
one SQLite commit, one Delta commit at 1 ms, one reference version).
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
import systore  # noqa: E402

BIN = os.environ.get("SYSTORE_BIN", str(REPO / "build" / "tools" / "systore" / "systore"))
DATA = REPO.parent / "shared" / "data"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


def timed(fn, repeat, setup=None):
    best = None
    for _ in range(repeat):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def du(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file())


def build_root(root, ticks):
    log(f"building the root: real data + fills + {ticks:,} ticks")
    sh(BIN, "--root", root, "ingest", "pysystemtrade", DATA)
    for i in range(200):
        oid = sh(BIN, "--root", root, "ops", "order", "new", "--strategy", "S", "--instrument", "CORN", "--contract",
                 "20240300", "--qty", "1").stdout.strip().splitlines()[-1]
        sh(BIN, "--root", root, "ops", "fill", oid, "--qty", "1", "--price", str(400 + i), "--exec-id", f"E{i}")
    rng = np.random.default_rng(1)
    ts = pd.Timestamp("2024-03-04", tz="UTC").value + np.cumsum(rng.integers(1, 250_000_000, ticks))
    table = pa.table({"ts": pa.array(ts, pa.timestamp("ns", "UTC")), "price": 5000 + np.cumsum(rng.normal(0, 0.25, ticks)),
                      "size": rng.integers(1, 50, ticks).astype(float)})
    st = systore.open(str(root))
    st.timeseries.write("ticks/ES", "ES", table)
    del st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticks", type=int, default=20_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "backup_bench.json"))
    a = ap.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="backup-bench-", dir=os.environ.get("BENCH_TMP", "/tmp")))
    try:
        root = tmp / "root"
        build_root(root, a.ticks)
        size = du(root)
        mb = size / 1e6
        log(f"root: {mb:.1f} MB")
        repo = tmp / "repo"
        tar = tmp / "root.tar"

        def clear_repo():
            shutil.rmtree(repo, ignore_errors=True)
            tar.unlink(missing_ok=True)
            sh("sync")

        res = {"root MB": round(mb, 1), "ticks": a.ticks}
        t_backup = timed(lambda: sh(BIN, "--root", root, "backup", "create", "--repo", repo), a.repeat, clear_repo)
        t_tar = timed(lambda: (sh("tar", "-cf", tar, "-C", root, "."), sh("sha256sum", tar)), a.repeat, clear_repo)
        # Leave one backup and one archive for the rest.
        sh(BIN, "--root", root, "backup", "create", "--repo", repo)
        sh("tar", "-cf", tar, "-C", root, ".")
        digest = sh("sha256sum", tar).stdout
        (tmp / "root.tar.sha256").write_text(digest)

        # The daily update, then an incremental backup (each round after its own merge).
        day = [pd.Timestamp("2030-01-01")]

        def merge():
            day[0] += pd.Timedelta(days=1)
            f = tmp / "day.csv"
            f.write_text(f"DATETIME,price\n{day[0]:%Y-%m-%d} 00:00:00,1.0\n")
            for key in ("CORN", "EUR", "BUXL", "GOLD_micro", "SP500_micro"):
                subprocess.run([BIN, "--root", str(root), "ts", "import", "prices/adjusted", str(f), "--key", key, "--mode",
                                "merge"], capture_output=True)

        t_incr = timed(lambda: sh(BIN, "--root", root, "backup", "create", "--repo", repo), a.repeat, merge)
        incr = json.loads(sh(BIN, "backup", "list", "--repo", repo, "--format", "json").stdout)[-1]

        bid = json.loads(sh(BIN, "backup", "list", "--repo", repo, "--format", "json").stdout)[0]["id"]
        target = tmp / "restored"
        untar = tmp / "untarred"

        def clear_targets():
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(untar, ignore_errors=True)
            sh("sync")

        t_restore = timed(lambda: sh(BIN, "restore", "--repo", repo, bid, "--to", target), a.repeat, clear_targets)

        def untar_run():
            sh("sha256sum", "-c", tmp / "root.tar.sha256", cwd=tmp)
            untar.mkdir()
            sh("tar", "-xf", tar, "-C", untar)
            sh("sync")

        t_untar = timed(untar_run, a.repeat, clear_targets)
        res.update({
            "backup s (fresh repo)": round(t_backup, 3),
            "tar + sha256sum s": round(t_tar, 3),
            "backup MB/s": round(mb / t_backup, 1),
            "tar + sha256sum MB/s": round(mb / t_tar, 1),
            "backup vs tar (x)": round(t_tar / t_backup, 2),
            "incremental backup s": round(t_incr, 3),
            "incremental MB copied": round(incr["bytes_copied"] / 1e6, 3),
            "restore s (checks included)": round(t_restore, 3),
            "sha256sum -c + tar -xf + sync s": round(t_untar, 3),
            "restore MB/s": round(mb / t_restore, 1),
            "untar MB/s": round(mb / t_untar, 1),
            "restore vs untar (x)": round(t_untar / t_restore, 2),
        })
        print(json.dumps(res, indent=1))
        pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
