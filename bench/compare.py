#!/usr/bin/env python3
"""Side-by-side benchmark: systore and its peers on the same data, in one run.

systore's numbers come from the C++ tool build/bench/systore_bench (one subprocess per
workload, one JSON object on stdout); the peers (bench/peers.py: pandas+pyarrow as
pysystemtrade uses it today, ArcticDB on LMDB, DuckDB over Parquet) run the same
workloads in this process, each in a fresh directory, on the same deduplicated
pysystemtrade CSVs. Every table gives "ratio vs systore" = peer / systore, so a ratio
above 1 means systore is faster (or smaller).

    .venv/bin/python bench/compare.py                    # everything, 20M ticks
    .venv/bin/python bench/compare.py --tick-rows 100000000 --markdown /tmp/bench.md
    .venv/bin/python bench/compare.py --only import,size --skip-ticks

Raw numbers go to bench/results/compare-<timestamp>.json (git-ignored); progress goes
to stderr, the tables to stdout. All timings are warm page cache: the CSVs are read
once before anything is timed, and each store is read right after it was written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers as P  # noqa: E402  (needs the path above)

REPO = Path(__file__).resolve().parent.parent
STORE_CASES = ("import", "size", "read_all_adjusted", "last100", "merge_one_day")
TICK_CASES = ("ticks_write", "ticks_range_read")
ALL_CASES = STORE_CASES + TICK_CASES
SYSTORE = "systore"

_T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def short_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# --------------------------------------------------------------------------- systore


class SystoreBench:
    """Runs build/bench/systore_bench workloads and parses their JSON."""

    def __init__(self, exe: Path, data_dir: Path):
        self.exe = exe
        self.data_dir = data_dir
        self.missing = None
        self.options: set[str] = set()
        if not exe.is_file() or not os.access(exe, os.X_OK):
            self.missing = f"{exe} not found or not executable (build it first)"
            return
        # Optional flags (e.g. --repeat) are passed only if this build has them, so the
        # harness keeps working against older or newer builds of the tool.
        try:
            help_text = subprocess.run([str(exe), "--help"], capture_output=True,
                                       text=True, timeout=30).stdout
            self.options = {w.split("=")[0].rstrip(",") for w in help_text.split()
                            if w.startswith("--")}
        except (OSError, subprocess.SubprocessError):
            pass

    def run(self, workload: str, root: Path, tick_rows: int | None = None,
            repeat: int | None = None) -> dict:
        if self.missing:
            raise RuntimeError(self.missing)
        cmd = [str(self.exe), "--workload", workload, "--data", str(self.data_dir),
               "--root", str(root)]
        if tick_rows is not None:
            cmd += ["--tick-rows", str(tick_rows)]
        if repeat is not None and "--repeat" in self.options:
            cmd += ["--repeat", str(repeat)]
        log(f"systore: {workload}")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"exit {proc.returncode}: " + " | ".join(tail))
        out = proc.stdout.strip()
        # Normally stdout is exactly one JSON object; tolerate log lines before it by
        # falling back to the last line that parses as an object.
        result = None
        for candidate in [out] + list(reversed(out.splitlines())):
            try:
                parsed = json.loads(candidate)
            except json.JSONDecodeError:
                continue
            if isinstance(parsed, dict):
                result = parsed
                break
        if result is None:
            raise RuntimeError(f"no JSON object on stdout: {out[-200:]!r}")
        if result.get("workload") not in (None, workload):
            raise RuntimeError(f"asked for {workload}, got {result.get('workload')}")
        return result


# --------------------------------------------------------------------------- timing


def timed(fn, *args):
    gc.collect()  # so a collection left over from setup does not land in the timing
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def percentiles(samples, *qs):
    return [float(np.percentile(np.asarray(samples), q)) for q in qs]


class Results:
    """results["cases"][case][engine] = {...numbers...} or {"error": reason}."""

    def __init__(self):
        self.cases: dict[str, dict[str, dict]] = {c: {} for c in ALL_CASES}
        self.labels: dict[str, str] = {SYSTORE: "systore"}

    def put(self, case, engine, value: dict):
        self.cases[case][engine] = value

    def fail(self, cases, engine, reason: str):
        for case in cases:
            self.cases[case].setdefault(engine, {"error": reason})


# --------------------------------------------------------------------------- runs


def run_systore_store(sb: SystoreBench, cases, root: Path, res: Results, stats, repeat) -> None:
    # import always runs: every other store workload reads what it wrote.
    try:
        r = sb.run("import", root)
        res.put("import", SYSTORE, r)
        want = sum(s.rows for s in stats.values())
        if r.get("rows") != want:
            log(f"WARNING: systore imported {r.get('rows')} rows, the deduped CSVs hold {want}")
    except Exception as e:
        log(f"systore import failed: {short_error(e)}")
        res.fail(STORE_CASES, SYSTORE, short_error(e))
        return
    # merge_one_day mutates the store, so it goes last; size is taken before it.
    for case in ("size", "read_all_adjusted", "last100", "merge_one_day"):
        if case not in cases:
            continue
        try:
            res.put(case, SYSTORE, sb.run(
                case, root, repeat=repeat if case == "read_all_adjusted" else None))
        except Exception as e:
            log(f"systore {case} failed: {short_error(e)}")
            res.fail([case], SYSTORE, short_error(e))


def run_store_peer(cls, args, cases, res: Results, stats, merge_rows, picks) -> None:
    engine = cls.id
    res.labels[engine] = cls.label
    tmp = Path(tempfile.mkdtemp(prefix=f"compare-{engine}-", dir=args.workdir))
    peer = None
    try:
        log(f"{engine}: open in {tmp}")
        peer = cls(tmp)

        log(f"{engine}: import")
        secs, info = timed(peer.import_data, args.data)
        res.put("import", engine, {"seconds": secs, **info})

        if "size" in cases:
            sizes = peer.dataset_bytes()
            res.put("size", engine, {
                "datasets": {name: b[0] for name, b in sizes.items()},
                "allocated": {name: b[1] for name, b in sizes.items()},
            })

        if "read_all_adjusted" in cases:
            variants = {}
            for method, fn in peer.read_all_methods().items():
                log(f"{engine}: read all adjusted ({method}) x{args.repeat}")
                fn()  # warm-up pass, not timed
                times, rows = [], None
                for _ in range(args.repeat):
                    secs, rows = timed(fn)
                    times.append(secs)
                variants[method] = {"seconds": float(np.median(times)), "runs": times, "rows": rows}
            best = min(variants, key=lambda m: variants[m]["seconds"])
            res.put("read_all_adjusted", engine, {
                "seconds": variants[best]["seconds"], "rows": variants[best]["rows"],
                "series": len(merge_rows), "method": best, "variants": variants})

        if "last100" in cases:
            log(f"{engine}: last100 x{len(picks)}")
            for key in picks[:5]:
                peer.last100(key)  # warm-up
            times = []
            gc.collect()
            for key in picks:
                t0 = time.perf_counter()
                peer.last100(key)
                times.append((time.perf_counter() - t0) * 1e6)
            p50, p99 = percentiles(times, 50, 99)
            res.put("last100", engine, {"p50_us": p50, "p99_us": p99, "reads": len(times)})

        if "merge_one_day" in cases:
            log(f"{engine}: merge one day into {len(merge_rows)} series")
            secs, _ = timed(peer.merge_one_day, merge_rows)
            # Untimed check that every series really gained its row.
            read_all = next(iter(peer.read_all_methods().values()))
            want = stats[P.ADJUSTED.name].rows + len(merge_rows)
            got = read_all()
            if got != want:
                log(f"WARNING: {engine}: {got:,} adjusted rows after the merge, expected {want:,}")
            res.put("merge_one_day", engine, {"seconds": secs, "series": len(merge_rows),
                                              "rows_after": got, "verified": got == want})
    except Exception as e:
        # A broken peer (ArcticDB not importable, an API change...) costs only its
        # own cells; what it finished before failing is kept.
        log(f"{engine} failed: {short_error(e)}")
        if args.verbose:
            traceback.print_exc()
        res.fail(cases, engine, short_error(e))
    finally:
        if peer is not None:
            try:
                peer.close()
            except Exception:
                pass
        if not args.keep_temp:
            shutil.rmtree(tmp, ignore_errors=True)


def run_ticks(sb: SystoreBench, args, cases, res: Results, workdir: Path) -> dict:
    n = args.tick_rows
    info = {"rows": n, "raw_bytes": n * 8 * 3, "seed": args.seed}

    # systore first, in its own fresh root: it generates its own ticks of the same shape.
    root = Path(tempfile.mkdtemp(prefix="compare-systore-ticks-", dir=workdir))
    try:
        try:
            res.put("ticks_write", SYSTORE, sb.run("ticks_write", root, n))
            if "ticks_range_read" in cases:
                res.put("ticks_range_read", SYSTORE, sb.run("ticks_range_read", root, n))
        except Exception as e:
            log(f"systore ticks failed: {short_error(e)}")
            res.fail(TICK_CASES, SYSTORE, short_error(e))
    finally:
        if not args.keep_temp:
            shutil.rmtree(root, ignore_errors=True)

    log(f"generating {n:,} ticks (seed {args.seed})")
    df = P.make_ticks(n, args.seed)
    windows = P.tick_windows(df, args.tick_reads, seed=args.seed + 1)
    info["first_ts"], info["last_ts"] = str(df["ts"].iloc[0]), str(df["ts"].iloc[-1])

    for engine in args.peers:
        cls = P.TICK_PEERS.get(engine)
        if cls is None:
            continue  # ArcticDB is not part of the tick comparison
        res.labels[f"ticks:{engine}"] = cls.label
        tmp = Path(tempfile.mkdtemp(prefix=f"compare-{engine}-ticks-", dir=workdir))
        peer = None
        try:
            peer = cls(tmp)
            log(f"{engine}: write {n:,} ticks")
            secs, _ = timed(peer.write, df)
            size = peer.bytes()
            res.put("ticks_write", engine, {"seconds": secs, "rows": n,
                                            "bytes": size[0], "allocated": size[1]})
            if "ticks_range_read" in cases:
                log(f"{engine}: {len(windows)} one-hour range reads")
                peer.range_read(*windows[0])  # warm-up
                times, counts = [], []
                for start, end in windows:
                    secs, rows = timed(peer.range_read, start, end)
                    times.append(secs * 1e3)
                    counts.append(rows)
                res.put("ticks_range_read", engine, {
                    "p50_ms": percentiles(times, 50)[0], "rows_per_read": int(np.mean(counts)),
                    "runs_ms": times, "rows": counts})
        except Exception as e:
            log(f"{engine} ticks failed: {short_error(e)}")
            if args.verbose:
                traceback.print_exc()
            res.fail(TICK_CASES, engine, short_error(e))
        finally:
            if peer is not None:
                peer.close()
            if not args.keep_temp:
                shutil.rmtree(tmp, ignore_errors=True)
    del df
    gc.collect()

    # Both peers read the same windows from the same data, so their counts must agree.
    reads = [res.cases["ticks_range_read"].get(e, {}).get("rows") for e in P.TICK_PEERS]
    reads = [r for r in reads if r]
    if len(reads) > 1 and any(r != reads[0] for r in reads[1:]):
        log("WARNING: tick range reads returned different row counts between peers")
    return info


# --------------------------------------------------------------------------- tables


def ratio(value, base) -> str:
    if value is None or base in (None, 0):
        return "n/a"
    return f"{value / base:.2f}"


def num(value, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def mib(b) -> str:
    return "n/a" if b is None else f"{b / 2**20:.2f}"


class Table:
    """A titled table rendered as aligned text (stdout) or Markdown (docs)."""

    TEXT_COLUMNS = {"engine", "dataset", "method"}  # left-aligned; numbers go right

    def __init__(self, title: str, headers: list[str]):
        self.title, self.headers, self.rows, self.notes = title, headers, [], []
        self.left = [h in self.TEXT_COLUMNS for h in headers]

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def text(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h)
                  for i, h in enumerate(self.headers)]

        def line(cells):
            return "  ".join(c.ljust(w) if left else c.rjust(w)
                             for c, w, left in zip(cells, widths, self.left)).rstrip()

        out = [f"== {self.title} ==", line(self.headers), line(["-" * w for w in widths])]
        out += [line(r) for r in self.rows]
        out += [f"  note: {n}" for n in self.notes]
        return "\n".join(out)

    def markdown(self) -> str:
        out = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
               "|" + "|".join(":---" if left else "---:" for left in self.left) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        if self.notes:
            out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out)


def engines_in(case_results: dict) -> list[str]:
    """systore first, then the peers in the order they ran."""
    return [SYSTORE] + [e for e in case_results if e != SYSTORE]


def error_notes(table: Table, case_results: dict, labels) -> None:
    for engine, r in case_results.items():
        if "error" in r:
            table.notes.append(f"{labels.get(engine, engine)}: n/a ({r['error']})")


def build_tables(res: Results, cases, stats, tick_info, args) -> list[Table]:
    C, L = res.cases, res.labels
    tables = []
    total_rows = sum(s.rows for s in stats.values())
    total_series = sum(s.series for s in stats.values())

    if "import" in cases:
        cr = C["import"]
        t = Table(f"import: adjusted + multiple + fx CSV into the store "
                  f"({total_series} series, {total_rows:,} rows)",
                  ["engine", "seconds", "of which CSV parse", "rows", "ratio vs systore"])
        base = cr.get(SYSTORE, {}).get("seconds")
        for e in engines_in(cr):
            r = cr.get(e, {})
            t.add(L.get(e, e), num(r.get("seconds"), ".3f"), num(r.get("parse_seconds"), ".3f"),
                  num(r.get("rows"), ","), ratio(r.get("seconds"), base))
        t.notes.append("peers parse the CSVs with pandas.read_csv, dedupe and build their "
                       "frames (the parse column, part of seconds); systore uses its own importer")
        dups = sum(s.duplicates_dropped for s in stats.values())
        sys_dups = cr.get(SYSTORE, {}).get("duplicates_resolved")
        t.notes.append(f"duplicate timestamps dropped (keep last): {dups} by the peers"
                       + ("" if sys_dups is None else f", {sys_dups} resolved by systore"))
        error_notes(t, cr, L)
        tables.append(t)

    if "size" in cases:
        cr = C["size"]
        t = Table("size on disk after import",
                  ["dataset", "engine", "bytes", "MiB", "vs raw 8-byte columns", "ratio vs systore"])
        for spec in P.DATASETS:
            raw = stats[spec.name].raw_bytes
            t.add(spec.name, "raw 8-byte columns", f"{raw:,}", mib(raw), "-", "-")
            base = cr.get(SYSTORE, {}).get("datasets", {}).get(spec.name)
            for e in engines_in(cr):
                b = cr.get(e, {}).get("datasets", {}).get(spec.name)
                red = "n/a" if b is None else f"-{(1 - b / raw) * 100:.1f}%"
                t.add("", L.get(e, e), num(b, ","), mib(b), red, ratio(b, base))
        t.notes.append("raw = rows x 8 bytes x columns, timestamp and string contract "
                       "columns included; vs raw = reduction (negative is smaller)")
        t.notes.append("bytes are apparent file sizes (ArcticDB: the library's LMDB "
                       "directory, lock file included)")
        error_notes(t, cr, L)
        tables.append(t)

    if "read_all_adjusted" in cases:
        cr = C["read_all_adjusted"]
        t = Table(f"read every adjusted series (median of {args.repeat})",
                  ["engine", "seconds", "rows", "method", "ratio vs systore"])
        base = cr.get(SYSTORE, {}).get("seconds")
        for e in engines_in(cr):
            r = cr.get(e, {})
            t.add(L.get(e, e), num(r.get("seconds"), ".4f"), num(r.get("rows"), ","),
                  r.get("method", "-"), ratio(r.get("seconds"), base))
            if e == SYSTORE and "seconds_warm" in r:
                # The ratios use the store freshly opened each pass (no decoded-file
                # cache), which is what the peers get too; the warm figure is context.
                t.add("systore, decoded-file cache warm", num(r["seconds_warm"], ".4f"),
                      num(r.get("rows"), ","), "-", ratio(r["seconds_warm"], base))
                t.notes.append("ratios are against the first systore row (a freshly opened "
                               "store each pass)")
        for e, r in cr.items():
            for m, v in r.get("variants", {}).items():
                if m != r.get("method"):
                    t.notes.append(f"{L.get(e, e)}: {m} took {v['seconds']:.4f} s "
                                   f"(slower, not shown)")
        t.notes.append("pandas and ArcticDB return one DataFrame per series; DuckDB one "
                       "Arrow table for the dataset")
        error_notes(t, cr, L)
        tables.append(t)

    if "last100" in cases:
        cr = C["last100"]
        t = Table(f"last 100 rows of a random adjusted series ({args.picks} reads)",
                  ["engine", "p50 us", "p99 us", "ratio p50", "ratio p99"])
        b = cr.get(SYSTORE, {})
        for e in engines_in(cr):
            r = cr.get(e, {})
            t.add(L.get(e, e), num(r.get("p50_us"), ".1f"), num(r.get("p99_us"), ".1f"),
                  ratio(r.get("p50_us"), b.get("p50_us")), ratio(r.get("p99_us"), b.get("p99_us")))
            if e == SYSTORE and "p50_us_uncached" in r:
                t.add("systore, no decoded-file cache", num(r["p50_us_uncached"], ".1f"),
                      num(r.get("p99_us_uncached"), ".1f"),
                      ratio(r["p50_us_uncached"], b.get("p50_us")),
                      ratio(r.get("p99_us_uncached"), b.get("p99_us")))
                t.notes.append("ratios are against the first systore row (its default "
                               "decoded-file cache on)")
        t.notes.append("peers are called from Python, systore from C++; both in process")
        error_notes(t, cr, L)
        tables.append(t)

    if "merge_one_day" in cases:
        cr = C["merge_one_day"]
        t = Table(f"merge one new day into every adjusted series ({stats[P.ADJUSTED.name].series} series)",
                  ["engine", "seconds", "ratio vs systore"])
        base = cr.get(SYSTORE, {}).get("seconds")
        for e in engines_in(cr):
            r = cr.get(e, {})
            t.add(L.get(e, e), num(r.get("seconds"), ".3f"), ratio(r.get("seconds"), base))
        t.notes.append("pandas rewrites each file; ArcticDB lib.append; DuckDB writes one "
                       "small Parquet file into each partition")
        error_notes(t, cr, L)
        tables.append(t)

    if tick_info and "ticks_write" in cases:
        cr = C["ticks_write"]
        n = tick_info["rows"]
        t = Table(f"write {n:,} synthetic ticks (ts, price, size)",
                  ["engine", "seconds", "M rows/s", "ratio vs systore", "bytes",
                   "vs raw 8-byte columns", "size ratio vs systore"])
        base = cr.get(SYSTORE, {}).get("seconds")
        base_bytes = cr.get(SYSTORE, {}).get("bytes")
        for e in engines_in(cr):
            r = cr.get(e, {})
            s, b = r.get("seconds"), r.get("bytes")
            red = "n/a" if b is None else f"-{(1 - b / tick_info['raw_bytes']) * 100:.1f}%"
            t.add(L.get(f"ticks:{e}", L.get(e, e)), num(s, ".3f"),
                  "n/a" if not s else f"{r.get('rows', n) / s / 1e6:.1f}",
                  ratio(s, base), num(b, ","), red, ratio(b, base_bytes))
        t.notes.append("every engine writes from memory, data generated beforehand (not "
                       "timed); systore generates its own ticks of the same shape")
        error_notes(t, cr, L)
        tables.append(t)

    if tick_info and "ticks_range_read" in cases:
        cr = C["ticks_range_read"]
        t = Table(f"one-hour range read from {tick_info['rows']:,} ticks "
                  f"(p50 of {args.tick_reads})",
                  ["engine", "p50 ms", "rows per read", "ratio vs systore"])
        base = cr.get(SYSTORE, {}).get("p50_ms")
        for e in engines_in(cr):
            r = cr.get(e, {})
            t.add(L.get(f"ticks:{e}", L.get(e, e)), num(r.get("p50_ms"), ".2f"),
                  num(r.get("rows_per_read"), ","), ratio(r.get("p50_ms"), base))
        error_notes(t, cr, L)
        tables.append(t)
    return tables


# --------------------------------------------------------------------------- metadata


def machine_info() -> dict:
    cpu = "unknown"
    mem = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu": cpu, "mem_bytes": mem, "kernel": platform.release(),
            "python": platform.python_version()}


def versions() -> dict:
    out = {}
    for mod in ("numpy", "pandas", "pyarrow", "duckdb", "arcticdb"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception as e:  # ArcticDB may be missing; that is reported, not fatal
            out[mod] = f"unavailable ({short_error(e)})"
    return out


def command_line() -> str:
    exe = Path(sys.executable)
    try:
        exe = exe.relative_to(Path.cwd())
    except ValueError:
        pass
    return shlex.join([str(exe)] + sys.argv)


def markdown_doc(tables, meta, stats) -> str:
    m = meta["machine"]
    mem = f", {m['mem_bytes'] / 2**30:.0f} GiB RAM" if m.get("mem_bytes") else ""
    v = ", ".join(f"{k} {val}" for k, val in meta["versions"].items())
    lines = [
        f"## Side-by-side run, {meta['date']}",
        "",
        "```bash",
        meta["command"],
        "```",
        "",
        f"- Machine: {m['nproc']} CPUs (`nproc`), {m['cpu']}{mem}, Linux {m['kernel']}",
        f"- Python {m['python']}; {v}",
        f"- systore: `{meta['systore_bench']}`"
        + (f" ({meta['systore_missing']})" if meta.get("systore_missing") else ""),
        "- Data: " + "; ".join(
            f"{name}: {s['series']} series, {s['rows']:,} rows, "
            f"{s['duplicates_dropped']} duplicate timestamps dropped (keep last)"
            for name, s in stats.items()),
        "- Ratios are peer / systore: above 1 means systore is faster or smaller. "
        "Warm page cache throughout.",
        "",
    ]
    for t in tables:
        lines += [t.markdown(), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                    help="pysystemtrade data dir (adjusted_prices_csv/, multiple_prices_csv/, fx_prices_csv/)")
    ap.add_argument("--systore-bench", type=Path, default=REPO / "build" / "bench" / "systore_bench",
                    help="the systore_bench binary")
    ap.add_argument("--tick-rows", type=int, default=20_000_000,
                    help="synthetic ticks to write and range-read (the issue asks for 100M)")
    ap.add_argument("--skip-ticks", action="store_true", help="skip the tick cases")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed passes for read_all_adjusted (median reported)")
    ap.add_argument("--picks", type=int, default=200, help="random series for last100")
    ap.add_argument("--tick-reads", type=int, default=20, help="one-hour range reads on ticks")
    ap.add_argument("--only", default=",".join(ALL_CASES),
                    help="comma-separated cases: " + ",".join(ALL_CASES) + " (or 'ticks')")
    ap.add_argument("--peers", default=",".join(P.PEERS), help="comma-separated peers to run")
    ap.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()),
                    help="where the temporary stores go (the same disk for every engine)")
    ap.add_argument("--keep-temp", action="store_true", help="keep the temporary stores")
    ap.add_argument("--seed", type=int, default=42, help="seed for picks and ticks")
    ap.add_argument("--verbose", action="store_true", help="print tracebacks of failures")
    args = ap.parse_args(argv)

    only = []
    for c in filter(None, (s.strip() for s in args.only.split(","))):
        only += list(TICK_CASES) if c == "ticks" else [c]
    bad = [c for c in only if c not in ALL_CASES]
    if bad:
        ap.error(f"unknown case(s) {bad}; choose from {list(ALL_CASES)}")
    if args.skip_ticks:
        only = [c for c in only if c not in TICK_CASES]
    args.cases = [c for c in ALL_CASES if c in only]
    args.peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    bad = [p for p in args.peers if p not in P.PEERS]
    if bad:
        ap.error(f"unknown peer(s) {bad}; choose from {list(P.PEERS)}")
    if args.repeat < 1 or args.picks < 5 or args.tick_reads < 1:
        ap.error("--repeat and --tick-reads must be >= 1, --picks >= 5")
    args.data = args.data.resolve()
    args.systore_bench = args.systore_bench.resolve()
    args.workdir = args.workdir.resolve()
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    cases = args.cases
    for spec in P.DATASETS:
        if not (args.data / spec.folder).is_dir():
            print(f"error: {args.data / spec.folder} not found (--data)", file=sys.stderr)
            return 2

    started = dt.datetime.now()
    meta = {"date": started.strftime("%Y-%m-%d %H:%M:%S"), "command": command_line(),
            "machine": machine_info(), "versions": versions(),
            "systore_bench": str(args.systore_bench), "data": str(args.data),
            "cases": cases, "peers": args.peers, "repeat": args.repeat, "picks": args.picks,
            "tick_reads": args.tick_reads, "seed": args.seed}
    sb = SystoreBench(args.systore_bench, args.data)
    if sb.missing:
        log(f"WARNING: {sb.missing}; systore cells will be n/a")
        meta["systore_missing"] = sb.missing

    log(f"scanning {args.data}")
    stats, tails = P.scan_data(args.data)
    for name, s in stats.items():
        log(f"  {name}: {s.series} series, {s.rows:,} rows, "
            f"{s.duplicates_dropped} duplicate timestamps dropped (keep last)"
            + (f" in {s.series_with_duplicates}" if s.series_with_duplicates else ""))
    merge_rows = P.next_day_rows(tails)
    rng = random.Random(args.seed)
    keys = sorted(tails)
    picks = [rng.choice(keys) for _ in range(args.picks)]

    res = Results()
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    store_cases = [c for c in cases if c in STORE_CASES]
    if store_cases:
        root = Path(tempfile.mkdtemp(prefix="compare-systore-", dir=workdir))
        try:
            run_systore_store(sb, store_cases, root, res, stats, args.repeat)
        finally:
            if not args.keep_temp:
                shutil.rmtree(root, ignore_errors=True)
        for engine in args.peers:
            run_store_peer(P.PEERS[engine], args, store_cases, res, stats, merge_rows, picks)

    tick_info = None
    if any(c in TICK_CASES for c in cases):
        tick_info = run_ticks(sb, args, cases, res, workdir)

    tables = build_tables(res, cases, stats, tick_info, args)
    print()
    for t in tables:
        print(t.text())
        print()

    stats_json = {name: vars(s) for name, s in stats.items()}
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"compare-{started.strftime('%Y%m%d-%H%M%S')}.json"
    meta["seconds_total"] = time.perf_counter() - _T0
    out.write_text(json.dumps({"meta": meta, "data": stats_json, "ticks": tick_info,
                               "labels": res.labels,
                               "cases": {c: res.cases[c] for c in cases}},
                              indent=2, default=str) + "\n")
    log(f"raw numbers: {out}")
    if args.markdown:
        args.markdown.write_text(markdown_doc(tables, meta, stats_json) + "\n")
        log(f"markdown: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
