"""The time-series store from Python (pandas or Arrow in, pandas or Arrow out)."""
from __future__ import annotations

import datetime
import os
import threading
import weakref
from typing import Iterable, Mapping, Optional, Sequence, Union

import pandas as pd
import pyarrow as pa

from . import _systore
from ._errors import InvalidArgument, NotFound, translate
from ._frames import to_pandas

from ._frames import INDEX_NAME  # noqa: E402 - the index name of frames read back (pysystemtrade's)

Frame = Union[pd.DataFrame, pd.Series, pa.Table]
TimeLike = Union[str, pd.Timestamp, int, None]


def _ns(t: TimeLike) -> Optional[int]:
    if t is None:
        return None
    if isinstance(t, int):
        return t
    ts = pd.Timestamp(t)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.value


def _to_arrow(data: Frame) -> pa.Table:
    """A DataFrame/Series with a DatetimeIndex (naive = UTC), or a Table with `ts`."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "price")
    if not isinstance(data, pd.DataFrame):
        raise InvalidArgument(f"expected a pandas DataFrame/Series or a pyarrow.Table, got {type(data).__name__}")
    if not isinstance(data.index, pd.DatetimeIndex):
        raise InvalidArgument(f"the frame's index must be a DatetimeIndex, got {type(data.index).__name__}")
    idx = data.index
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    ts = pa.array(idx.as_unit("ns").asi8, type=pa.int64()).cast(pa.timestamp("ns", tz="UTC"))
    cols = {"ts": ts}
    for c in data.columns:
        cols[str(c)] = pa.array(data[c].to_numpy(), from_pandas=True)
    return pa.table(cols)


_to_pandas = to_pandas  # series tables -> frames (_frames.py: why not Table.to_pandas)


class _Capsule:
    """Hands an extension capsule to pyarrow through the PyCapsule stream protocol."""
    __slots__ = ("capsule",)

    def __init__(self, capsule):
        self.capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self.capsule


def _table(capsule) -> pa.Table:
    return pa.RecordBatchReader.from_stream(_Capsule(capsule)).read_all()


_HANDLES: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()
_HANDLES_LOCK = threading.Lock()


@translate
def _open_handle(root: str):
    path = os.path.realpath(root)
    with _HANDLES_LOCK:
        h = _HANDLES.get(path)
        if h is None:
            h = _systore.TimeSeriesStore(root)
            _HANDLES[path] = h
        return h


AsOf = Union[int, str, pd.Timestamp, datetime.datetime, None]


class TimeSeries:
    """Versioned time series: datasets ("prices/adjusted") of series named by key ("SOFR").

    Every write is one commit (a version); reads see whole versions. Frames carry a
    DatetimeIndex (naive timestamps are UTC) and float/int/string columns; values
    round-trip bit for bit.
    """

    def __init__(self, root: str, handle=None):
        self._root = str(root)
        # One C++ store per root per process (a dataset has one writer per process).
        self._store = handle if handle is not None else _open_handle(self._root)

    @translate
    def _write(self, dataset: str, key: str, data: Frame, mode: str) -> dict:
        table = _to_arrow(data)
        return self._store.write(dataset, key, table.__arrow_c_stream__(), mode)

    def write(self, dataset: str, key: str, data: Frame) -> dict:
        """Replaces the series `key` with `data` (one commit). Returns the write's counts
        (version, rows_added, ...). Timestamps must be strictly increasing (tick datasets:
        non-decreasing, equal ones kept in order)."""
        return self._write(dataset, key, data, "write")

    def append(self, dataset: str, key: str, data: Frame) -> dict:
        """Adds rows strictly after the last stored timestamp (tick datasets: at or after it);
        durable in the WAL on return. InvalidArgument otherwise, and nothing is written."""
        return self._write(dataset, key, data, "append")

    def merge(self, dataset: str, key: str, data: Frame, mode: str = "newer") -> dict:
        """Merges rows: mode "newer" (only after the last stored row; pysystemtrade's
        default), "fill_gaps" (stored rows win) or "overwrite" (incoming rows win)."""
        if mode not in ("newer", "fill_gaps", "overwrite"):
            raise InvalidArgument(f"merge mode '{mode}' is not newer, fill_gaps or overwrite")
        return self._write(dataset, key, data, mode)

    def _as_of(self, dataset: str, as_of: AsOf):
        """(version, snapshot) for an as_of: a version number, a snapshot name, or a time
        (pd.Timestamp/datetime: the last version committed at or before it)."""
        if as_of is None:
            return None, None
        if isinstance(as_of, bool):
            raise InvalidArgument("as_of must be a version number, a snapshot name or a timestamp")
        if isinstance(as_of, int):
            return as_of, None
        if isinstance(as_of, str):
            return None, as_of
        if isinstance(as_of, (pd.Timestamp, datetime.datetime)):
            t = _ns(as_of)
            before = [v["version"] for v in self._store.versions(dataset, "") if v["committed_at"] <= t]
            if not before:
                raise NotFound(f"dataset '{dataset}' has no version committed at or before {pd.Timestamp(t)}")
            return before[-1], None
        raise InvalidArgument(f"as_of must be a version number, a snapshot name or a timestamp, "
                              f"got {type(as_of).__name__}")

    @translate
    def read_arrow(self, dataset: str, key: str, start: TimeLike = None, end: TimeLike = None,
                   columns: Optional[Sequence[str]] = None, as_of: AsOf = None) -> pa.Table:
        """The series as a pyarrow.Table (`ts` timestamp[ns, UTC] + value columns).

        start/end: inclusive bounds (str, Timestamp or int ns); columns: value columns to
        return (all when None); as_of: a version number (int), a snapshot name (str), or a
        time (pd.Timestamp/datetime: the dataset as of the last commit at or before it).
        Raises NotFound when the dataset or series does not exist (at that version)."""
        version, snapshot = self._as_of(dataset, as_of)
        cap = self._store.read(dataset, key, _ns(start), _ns(end), list(columns or []), version, snapshot)
        return _table(cap)

    def read(self, dataset: str, key: str, start: TimeLike = None, end: TimeLike = None,
             columns: Optional[Sequence[str]] = None, as_of: AsOf = None) -> pd.DataFrame:
        """Reads one series as a pandas DataFrame.

        Parameters
        ----------
        dataset : str
            e.g. "prices/adjusted", "prices/multiple", "fx/spot", "prices/contract_daily".
        key : str
            The series, e.g. "SOFR" (per-contract datasets: "SOFR/20240300").
        start, end : str, pandas.Timestamp, datetime or int (ns), optional
            Inclusive bounds on the timestamp; naive times are UTC.
        columns : list of str, optional
            Value columns to return (default: all).
        as_of : int, str, pandas.Timestamp or datetime, optional
            Time travel: a version number (see versions()), a snapshot name (see
            snapshot()), or a time — the dataset as of its last commit at or before it.

        Returns
        -------
        pandas.DataFrame
            Indexed by a DatetimeIndex named DATETIME (naive UTC, ns precision), float64
            prices, values bit-exact as written.

        Raises
        ------
        systore.NotFound
            The dataset or series does not exist (at that version); the message names it.
        systore.InvalidArgument
            A bad argument (e.g. an unknown column), named in the message.

        Example
        -------
        >>> st = systore.open("systore-data")
        >>> st.timeseries.read("prices/adjusted", "SOFR", start="2024-01-01", as_of="eod-2026-11-29")
        """
        return _to_pandas(self.read_arrow(dataset, key, start, end, columns, as_of))

    @translate
    def read_many(self, dataset: str, keys: Iterable[str]) -> dict:
        """{key: DataFrame} for every key, read in parallel in C++."""
        return {k: _to_pandas(t) for k, t in self.read_many_arrow(dataset, keys).items()}

    @translate
    def read_many_arrow(self, dataset: str, keys: Iterable[str]) -> dict:
        """{key: pyarrow.Table} for every key, read in parallel in C++ (no pandas)."""
        keys = list(keys)
        caps = self._store.read_many(dataset, keys)
        return {k: _table(c) for k, c in zip(keys, caps)}

    @translate
    def latest(self, dataset: str, key: str, n: int = 100) -> pd.DataFrame:
        """The last `n` rows (fewer if the series is shorter). About 30 µs for n=100, most
        of it building the pandas frame: latest_arrow skips that."""
        return _to_pandas(_table(self._store.latest(dataset, key, int(n))))

    @translate
    def latest_arrow(self, dataset: str, key: str, n: int = 100) -> pa.Table:
        """The last `n` rows as a pyarrow.Table (ts + value columns), about 7 µs for n=100."""
        return _table(self._store.latest(dataset, key, int(n)))

    @translate
    def delete(self, dataset: str, key: str) -> dict:
        """Removes a series (older versions stay readable until vacuumed)."""
        return self._store.delete(dataset, key)

    @translate
    def list_datasets(self) -> list:
        """Dataset names, sorted."""
        return self._store.list_datasets()

    @translate
    def list_keys(self, dataset: str, prefix: str = "") -> list:
        """Keys of the series whose key starts with `prefix`, sorted."""
        return [i["key"] for i in self._store.list_keys(dataset, prefix)]

    @translate
    def versions(self, dataset: str, key: str = "") -> list:
        """Commits of the dataset (those touching `key` when given), oldest first: dicts with
        version, committed_at (ns), operation, keys, rows_added, rows_removed and user_metadata
        (the lineage JSON of an analytics commit, docs/analytics.md; "" otherwise)."""
        return self._store.versions(dataset, key)

    @translate
    def delete_range(self, dataset: str, key: str, start: TimeLike, end: TimeLike) -> dict:
        """Removes the rows with start <= ts <= end (one commit)."""
        if start is None or end is None:
            raise InvalidArgument("delete_range needs both start and end")
        return self._store.delete_range(dataset, key, _ns(start), _ns(end))

    @translate
    def snapshot(self, name: str) -> None:
        """Pins the current version of every dataset under `name` (read with as_of=name).
        AlreadyExists when the name is taken."""
        self._store.snapshot(name)

    @translate
    def list_snapshots(self) -> list:
        """Snapshots: dicts with name, created_at (ns) and versions {dataset: version}."""
        return self._store.snapshots()

    @translate
    def delete_snapshot(self, name: str) -> None:
        """Removes a snapshot (its files become eligible for vacuum)."""
        self._store.delete_snapshot(name)

    @translate
    def compact(self, dataset: str) -> dict:
        """Rewrites partitions holding several files as one file each (one commit)."""
        return self._store.compact(dataset)

    @translate
    def ingest(self, dataset: str, data: Mapping[str, Frame], source: str = "python") -> dict:
        """Writes through the quality gate exactly as `systore ingest` does: for each
        {key: frame}, the rows after the last stored row are validated (the stored tail is
        the seam for the spike and gap rules), the dataset's policy decides, kept-out rows
        go to the quarantine (st.quality.quarantine), and every series' accepted rows are
        merged in ONE commit. Re-running the same ingest adds nothing.

        Returns the summary: rows_read, rows_added, rows_quarantined, rows_already_stored,
        rejected, findings_by_rule, serious_findings (list of dicts), version (-1: none).
        write/append/merge, by contrast, store what they are given (trusted data)."""
        if not isinstance(data, Mapping) or not data:
            raise InvalidArgument("ingest takes a non-empty {key: frame} mapping")
        keys = [str(k) for k in data]
        tables = [_to_arrow(f) for f in data.values()]
        return self._store.ingest(dataset, keys, [t.__arrow_c_stream__() for t in tables], source)

    @translate
    def flush(self, dataset: str) -> None:
        """Writes the dataset's appended (WAL) rows to Parquet in one commit."""
        self._store.flush(dataset)

    def to_duckdb(self, con, dataset: str, as_of: Optional[int] = None, name: Optional[str] = None) -> str:
        """Registers the dataset in a DuckDB connection as a view over exactly the Parquet
        files of its current version (or version `as_of`) — not a glob, so files a later
        version removed never show up. Columns: key, ts, the value columns. Returns the
        view name (default: the dataset with '/' -> '_', e.g. prices_adjusted).

            ts.to_duckdb(con, "prices/adjusted")
            con.sql("select key, max(ts) from prices_adjusted group by key")

        Rows appended through the write-ahead log are in the view once flushed (flush()).
        The file list comes from the dataset's Delta log, read by delta-rs (deltalake)."""
        import os

        from deltalake import DeltaTable

        if as_of is not None and not isinstance(as_of, int):
            raise InvalidArgument("to_duckdb: as_of must be a version number")
        path = os.path.join(self._root, dataset)
        if dataset not in self.list_datasets():
            raise NotFound(f"dataset '{dataset}' not found under {self._root}")
        table = DeltaTable(path, version=as_of) if as_of is not None else DeltaTable(path)
        files = table.file_uris()
        view = name or dataset.replace("/", "_")
        if not files:
            raise NotFound(f"dataset '{dataset}' has no rows at version {table.version()}")
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f'create or replace view "{view}" as select * from '
                    f"read_parquet([{listing}], hive_partitioning = true)")
        return view
