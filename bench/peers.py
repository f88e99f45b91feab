"""Peer engines for bench/compare.py: the same workloads systore_bench runs, done the
way a user of each peer would do them, on the same (deduplicated) pysystemtrade data.

Each peer works in its own fresh directory and exposes the same small surface
(`import_data`, `read_all_methods`, `last100`, `merge_one_day`, `dataset_bytes`), so the
harness times every engine with one piece of code. Only the harness measures time; the
peers just do the work (the one exception is `import_data`, which reports how much of
its time went to CSV parsing, since that part is shared by all peers).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DatasetSpec:
    """One pysystemtrade CSV folder and the systore dataset it becomes."""

    name: str                      # systore dataset name, as systore_bench reports it
    folder: str                    # folder under --data
    columns: tuple[str, ...]       # value columns, in CSV order (DATETIME excluded)
    string_columns: tuple[str, ...] = ()  # read as str, like pysystemtrade's str_of_int

    @property
    def slug(self) -> str:
        """A file-system / library-name friendly form of `name` ("prices_adjusted")."""
        return self.name.replace("/", "_")

    @property
    def raw_bytes_per_row(self) -> int:
        # The "raw 8-byte columns" baseline: every column, the timestamp included, as
        # 8 bytes (string contract columns too: they are yyyymmdd integers at heart).
        return 8 * (1 + len(self.columns))


ADJUSTED = DatasetSpec("prices/adjusted", "adjusted_prices_csv", ("price",))
MULTIPLE = DatasetSpec(
    "prices/multiple",
    "multiple_prices_csv",
    ("CARRY", "CARRY_CONTRACT", "PRICE", "PRICE_CONTRACT", "FORWARD", "FORWARD_CONTRACT"),
    string_columns=("CARRY_CONTRACT", "PRICE_CONTRACT", "FORWARD_CONTRACT"),
)
FX = DatasetSpec("fx/spot", "fx_prices_csv", ("PRICE",))
DATASETS: tuple[DatasetSpec, ...] = (ADJUSTED, MULTIPLE, FX)

TS_FORMAT = "%Y-%m-%d %H:%M:%S"


def csv_files(data_dir: Path, spec: DatasetSpec) -> list[tuple[str, Path]]:
    """(key, path) for every CSV of a dataset, sorted by key; key = file name stem."""
    folder = Path(data_dir) / spec.folder
    return sorted((p.stem, p) for p in folder.glob("*.csv"))


def read_series_csv(path: Path, spec: DatasetSpec) -> tuple[pd.DataFrame, int]:
    """Reads one series the way pysystemtrade does (DATETIME index, naive timestamps)
    and drops repeated timestamps keeping the last one, as every engine must see the
    same rows. Returns the frame and the number of rows dropped."""
    df = pd.read_csv(
        path,
        index_col="DATETIME",
        parse_dates=["DATETIME"],
        date_format=TS_FORMAT,
        dtype={c: str for c in spec.string_columns},
    )
    dupes = int(df.index.duplicated(keep="last").sum())
    if dupes:
        df = df[~df.index.duplicated(keep="last")]
    if not df.index.is_monotonic_increasing:
        df = df.sort_index(kind="stable")
    return df, dupes


@dataclass
class DatasetStats:
    series: int = 0
    rows: int = 0                  # after dedupe
    duplicates_dropped: int = 0
    series_with_duplicates: list[str] = field(default_factory=list)
    raw_bytes: int = 0


def scan_data(data_dir: Path) -> tuple[dict[str, DatasetStats], dict[str, pd.DataFrame]]:
    """Reads every CSV once, untimed: row/duplicate counts and the raw-size baseline,
    plus the last row of each adjusted series (the merge workload appends after it).
    Also warms the page cache so no engine pays for a cold first CSV read."""
    stats: dict[str, DatasetStats] = {}
    adjusted_tails: dict[str, pd.DataFrame] = {}
    for spec in DATASETS:
        st = DatasetStats()
        for key, path in csv_files(data_dir, spec):
            df, dupes = read_series_csv(path, spec)
            st.series += 1
            st.rows += len(df)
            st.duplicates_dropped += dupes
            if dupes:
                st.series_with_duplicates.append(key)
            if spec is ADJUSTED and len(df):
                adjusted_tails[key] = df.tail(1)
        st.raw_bytes = st.rows * spec.raw_bytes_per_row
        stats[spec.name] = st
    return stats, adjusted_tails


def next_day_rows(adjusted_tails: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One new row per adjusted series, as systore_bench's merge_one_day makes it: one
    day after the last timestamp, at the last price + 0.25. Always later than the last
    row, so every engine can take its append path."""
    rows = {}
    for key, tail in adjusted_tails.items():
        ts = tail.index[-1] + pd.Timedelta(days=1)
        rows[key] = pd.DataFrame(
            {"price": tail["price"].to_numpy() + 0.25},
            index=pd.DatetimeIndex([ts], name=tail.index.name),
        )
    return rows


def dir_bytes(path: Path) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of every file under `path`. Apparent size is
    what we report: block rounding would penalise many-small-file layouts for bytes
    they do not write."""
    apparent = allocated = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            st = os.stat(os.path.join(root, f))
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return apparent, allocated


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


# --------------------------------------------------------------------------- peers


class Peer:
    """Base class: one engine, one directory. Subclasses fill in the workloads."""

    id = "peer"
    label = "peer"

    def __init__(self, workdir: Path):
        self.dir = Path(workdir)

    def import_data(self, data_dir: Path) -> dict:
        """Imports adjusted + multiple + fx. Returns {"parse_seconds", "series", "rows"}."""
        raise NotImplementedError

    def read_all_methods(self) -> dict:
        """{description: callable() -> rows read} reading every adjusted series; the
        harness times each and keeps the fastest (ArcticDB offers two ways)."""
        raise NotImplementedError

    def last100(self, key: str):
        raise NotImplementedError

    def merge_one_day(self, rows: dict[str, pd.DataFrame]) -> None:
        raise NotImplementedError

    def dataset_bytes(self) -> dict[str, tuple[int, int]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PandasParquetPeer(Peer):
    """What pysystemtrade does today: one Parquet file per series, written and read
    with pandas (pyarrow engine, snappy by default), the DATETIME index kept."""

    id = "pandas"
    label = "pandas+pyarrow (one Parquet file per series)"

    def _path(self, spec: DatasetSpec, key: str) -> Path:
        return self.dir / spec.slug / f"{key}.parquet"

    def import_data(self, data_dir):
        parse = 0.0
        series = rows = 0
        for spec in DATASETS:
            (self.dir / spec.slug).mkdir(parents=True, exist_ok=True)
            for key, path in csv_files(data_dir, spec):
                t0 = time.perf_counter()
                df, _ = read_series_csv(path, spec)
                parse += time.perf_counter() - t0
                df.to_parquet(self._path(spec, key))
                series += 1
                rows += len(df)
        self._adjusted_keys = [k for k, _ in csv_files(data_dir, ADJUSTED)]
        return {"parse_seconds": parse, "series": series, "rows": rows}

    def read_all_methods(self):
        def read_each():
            return sum(len(pd.read_parquet(self._path(ADJUSTED, k))) for k in self._adjusted_keys)

        return {"pd.read_parquet per file": read_each}

    def last100(self, key):
        return pd.read_parquet(self._path(ADJUSTED, key)).tail(100)

    def merge_one_day(self, rows):
        # No append in a Parquet file: read it all, add the row, rewrite it all.
        for key, new in rows.items():
            path = self._path(ADJUSTED, key)
            df = pd.read_parquet(path)
            pd.concat([df, new]).to_parquet(path)

    def dataset_bytes(self):
        return {spec.name: dir_bytes(self.dir / spec.slug) for spec in DATASETS}


class ArcticDBPeer(Peer):
    """ArcticDB on its LMDB backend: one library per dataset, one symbol per series."""

    id = "arcticdb"
    label = "ArcticDB (LMDB)"

    def __init__(self, workdir):
        super().__init__(workdir)
        import arcticdb  # imported here so a broken install only costs this peer

        self.dir.mkdir(parents=True, exist_ok=True)
        self.ac = arcticdb.Arctic(f"lmdb://{self.dir}")
        # The LMDB backend keeps each library in its own sub-directory of the URI,
        # which is what lets us size each dataset separately.
        self.libs = {spec.name: self.ac.get_library(spec.slug, create_if_missing=True)
                     for spec in DATASETS}

    def import_data(self, data_dir):
        parse = 0.0
        series = rows = 0
        for spec in DATASETS:
            lib = self.libs[spec.name]
            for key, path in csv_files(data_dir, spec):
                t0 = time.perf_counter()
                df, _ = read_series_csv(path, spec)
                parse += time.perf_counter() - t0
                lib.write(key, df)
                series += 1
                rows += len(df)
        self._adjusted_keys = [k for k, _ in csv_files(data_dir, ADJUSTED)]
        return {"parse_seconds": parse, "series": series, "rows": rows}

    def read_all_methods(self):
        lib = self.libs[ADJUSTED.name]
        keys = self._adjusted_keys

        def read_each():
            return sum(len(lib.read(k).data) for k in keys)

        def read_batch():
            return sum(len(item.data) for item in lib.read_batch(keys))

        return {"lib.read per symbol": read_each, "lib.read_batch": read_batch}

    def last100(self, key):
        return self.libs[ADJUSTED.name].tail(key, 100).data

    def merge_one_day(self, rows):
        lib = self.libs[ADJUSTED.name]
        for key, new in rows.items():
            lib.append(key, new)

    def dataset_bytes(self):
        return {spec.name: dir_bytes(self.dir / spec.slug) for spec in DATASETS}

    def close(self):
        # Drop the library handles and the Arctic instance so LMDB closes its maps
        # before the harness deletes the directory.
        self.libs.clear()
        self.ac = None


class DuckDBParquetPeer(Peer):
    """DuckDB (in-memory connection) over hive-partitioned Parquet, zstd: one directory
    per dataset, one `key=<series>` partition per series."""

    id = "duckdb"
    label = "DuckDB over Parquet (zstd)"

    def __init__(self, workdir):
        super().__init__(workdir)
        import duckdb

        self.dir.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect()
        self._merge_seq = 0

    def _scan(self, spec: DatasetSpec) -> str:
        # hive_types pins `key` to VARCHAR: without it a dataset whose keys all look
        # numeric would be read back as integers.
        glob = str(self.dir / spec.slug / "**" / "*.parquet")
        return (f"read_parquet({_sql_str(glob)}, hive_partitioning=true, "
                f"hive_types={{'key': VARCHAR}})")

    def import_data(self, data_dir):
        parse = 0.0
        series = rows = 0
        for spec in DATASETS:
            t0 = time.perf_counter()
            frames = []
            for key, path in csv_files(data_dir, spec):
                df, _ = read_series_csv(path, spec)
                df = df.reset_index().rename(columns={"DATETIME": "ts"})
                df.insert(0, "key", key)
                frames.append(df)
                series += 1
                rows += len(df)
            table = pd.concat(frames, ignore_index=True)
            del frames
            parse += time.perf_counter() - t0
            self.con.register("import_frame", table)
            self.con.execute(
                f"COPY import_frame TO {_sql_str(str(self.dir / spec.slug))} "
                "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (key))")
            self.con.unregister("import_frame")
            del table
        return {"parse_seconds": parse, "series": series, "rows": rows}

    def read_all_methods(self):
        sql = f"SELECT * FROM {self._scan(ADJUSTED)}"

        def read_all():
            return self.con.execute(sql).fetch_arrow_table().num_rows

        return {"one SELECT over the dataset, to Arrow": read_all}

    def last100(self, key):
        # Partition pruning works with the prepared parameter (EXPLAIN shows one file
        # scanned); what remains is listing the partition directories on every query.
        return self.con.execute(
            f"SELECT * FROM {self._scan(ADJUSTED)} WHERE key = ? ORDER BY ts DESC LIMIT 100",
            [key]).fetch_arrow_table()

    def merge_one_day(self, rows):
        # The cheap path: one more small file in each series' partition; nothing is
        # rewritten (compaction would be a separate, later job).
        self._merge_seq += 1
        for key, new in rows.items():
            part = self.dir / ADJUSTED.slug / f"key={key}"
            part.mkdir(exist_ok=True)
            frame = new.reset_index().rename(columns={"DATETIME": "ts"})
            self.con.register("merge_frame", frame)
            target = part / f"merge-{self._merge_seq}.parquet"
            self.con.execute(
                f"COPY (SELECT ts, price FROM merge_frame) TO {_sql_str(str(target))} "
                "(FORMAT parquet, COMPRESSION zstd)")
            self.con.unregister("merge_frame")

    def dataset_bytes(self):
        return {spec.name: dir_bytes(self.dir / spec.slug) for spec in DATASETS}

    def close(self):
        self.con.close()


PEERS: dict[str, type[Peer]] = {
    PandasParquetPeer.id: PandasParquetPeer,
    ArcticDBPeer.id: ArcticDBPeer,
    DuckDBParquetPeer.id: DuckDBParquetPeer,
}

# --------------------------------------------------------------------------- ticks

TICK_SIZE = 0.25
TICK_START = pd.Timestamp("2026-01-05 00:00:00")


def make_ticks(n: int, seed: int = 42) -> pd.DataFrame:
    """Synthetic trades with the shape systore_bench's ticks_write generates (so sizes
    compare like for like; the random streams differ): tick i at start + i x 10 ms plus
    0-1 ms of jitter in nanoseconds, the price a random walk of -1/0/+1 ticks of 0.25
    from 4000, the size 1-20 lots as float64. Deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    ts_ns = np.arange(n, dtype=np.int64)
    ts_ns *= 10_000_000
    ts_ns += rng.integers(0, 1_000_000, size=n, dtype=np.int64)
    ts_ns += TICK_START.value
    steps = rng.integers(-1, 2, size=n, dtype=np.int8)
    price = np.cumsum(steps, dtype=np.int64).astype(np.float64)
    del steps
    price *= TICK_SIZE
    price += 4000.0
    size = rng.integers(1, 21, size=n, dtype=np.int64).astype(np.float64)
    # copy=False: at 100M rows every extra copy of a column is 800 MB.
    return pd.DataFrame({"ts": ts_ns.view("datetime64[ns]"), "price": price, "size": size},
                        copy=False)


def tick_windows(df: pd.DataFrame, count: int, seed: int = 7,
                 width: pd.Timedelta = pd.Timedelta(hours=1)) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """`count` random one-hour [start, end] windows inside the tick range, starting
    on whole seconds; the same windows are used for every engine."""
    first, last = df["ts"].iloc[0], df["ts"].iloc[-1]
    span = int((last - first - width).total_seconds())
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, max(span, 1), size=count)
    return [(first.floor("s") + pd.Timedelta(seconds=int(s)),
             first.floor("s") + pd.Timedelta(seconds=int(s)) + width) for s in starts]


class PandasTicks:
    """One Parquet file of 1M-row groups (snappy), range reads with pyarrow filters
    on ts, which skip row groups by their min/max statistics."""

    id = "pandas"
    label = "pandas+pyarrow (one Parquet file, 1M-row groups)"

    def __init__(self, workdir: Path):
        self.path = Path(workdir) / "ticks.parquet"
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, df: pd.DataFrame) -> None:
        df.to_parquet(self.path, index=False, row_group_size=1_000_000)

    def range_read(self, start, end) -> int:
        out = pd.read_parquet(self.path, filters=[("ts", ">=", start), ("ts", "<=", end)])
        return len(out)

    def bytes(self) -> tuple[int, int]:
        return dir_bytes(self.path.parent)

    def close(self):
        pass


class DuckDBTicks:
    """One Parquet file written by DuckDB (zstd, its default row groups of 122,880
    rows), range reads with WHERE ts BETWEEN, to Arrow."""

    id = "duckdb"
    label = "DuckDB over Parquet (zstd, one file)"

    def __init__(self, workdir: Path):
        import duckdb

        self.path = Path(workdir) / "ticks.parquet"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect()

    def write(self, df: pd.DataFrame) -> None:
        self.con.register("ticks_frame", df)
        self.con.execute(f"COPY ticks_frame TO {_sql_str(str(self.path))} "
                         "(FORMAT parquet, COMPRESSION zstd)")
        self.con.unregister("ticks_frame")

    def range_read(self, start, end) -> int:
        return self.con.execute(
            f"SELECT * FROM read_parquet({_sql_str(str(self.path))}) WHERE ts BETWEEN ? AND ?",
            [start.to_pydatetime(), end.to_pydatetime()]).fetch_arrow_table().num_rows

    def bytes(self) -> tuple[int, int]:
        return dir_bytes(self.path.parent)

    def close(self):
        self.con.close()


TICK_PEERS = {PandasTicks.id: PandasTicks, DuckDBTicks.id: DuckDBTicks}
