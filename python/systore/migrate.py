"""Importing other stores into systore. Today: ArcticDB.

    from systore.migrate import from_arcticdb
    summary = from_arcticdb("lmdb:///data/arctic", "futures", "prices/adjusted",
                            store="systore-data", all_versions=True, snapshots=True)
    print(summary)

or from the shell (exit code 0 ok, 1 error, 2 bad arguments, 3 done but something skipped):

    python -m systore.migrate arcticdb lmdb:///data/arctic futures \\
        --root systore-data --dataset prices/adjusted --all-versions --snapshots

Values arrive exactly: float bits (NaN payloads, -0.0, subnormals), nanosecond
timestamps, integers and strings. See from_arcticdb for what maps to what and for the
limitations.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._errors import Error, InvalidArgument, NotFound, translate
from .timeseries import TimeSeries, _table

KeyMap = Union[Mapping[str, Optional[str]], Callable[[str], Optional[str]], None]

_TS_TYPE = pa.timestamp("ns", tz="UTC")
_MAX_EXACT_INT_IN_DOUBLE = 2 ** 53
# Converted tables kept between the check pass and the write pass (saves re-reading).
_CACHE_BYTES = 512 << 20
# A systore snapshot name: one segment of letters, digits, '_', '-', '.' (store_open.cc).
_SNAPSHOT_NAME = re.compile(r"^(?![_.])[A-Za-z0-9_.\-]+$")


class MigrationError(InvalidArgument):
    """The source cannot be imported as asked. `problems` lists (what, reason) pairs, e.g.
    ("symbol 'ES'", "version 3: is indexed by a RangeIndex, not a DatetimeIndex")."""

    def __init__(self, message: str, problems: Optional[List[Tuple[str, str]]] = None):
        super().__init__(message)
        self.problems = list(problems or [])


@dataclasses.dataclass
class Skipped:
    kind: str    # "symbol" or "snapshot"
    name: str    # the ArcticDB symbol or snapshot name
    reason: str

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}': {self.reason}"


@dataclasses.dataclass
class ImportSummary:
    """What from_arcticdb did. str() gives a printable report; to_dict() plain JSON types."""
    source: str
    library: str
    root: str
    dataset: str
    symbols: int = 0          # symbols written (one systore key each; snapshot-only ones too)
    versions: int = 0         # ArcticDB versions written (one systore commit each)
    rows: int = 0             # rows written over all those versions
    snapshots: int = 0        # systore snapshots created
    extra_commits: int = 0    # commits made only to put snapshot states in place and back
    seconds: float = 0.0
    skipped: List[Skipped] = dataclasses.field(default_factory=list)   # could not be imported
    excluded: List[Skipped] = dataclasses.field(default_factory=list)  # left out as asked (maps, symbols=)
    keys: Dict[str, str] = dataclasses.field(default_factory=dict)  # symbol -> key
    # key -> [(ArcticDB version, systore dataset version), ...] in write order
    version_map: Dict[str, List[Tuple[int, int]]] = dataclasses.field(default_factory=dict)
    # ArcticDB snapshot -> systore snapshot
    snapshot_map: Dict[str, str] = dataclasses.field(default_factory=dict)
    # ArcticDB snapshots whose state was not a point of the replay (made with extra commits)
    materialized: List[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was skipped."""
        return not self.skipped

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["skipped"] = [dataclasses.asdict(s) for s in self.skipped]
        d["excluded"] = [dataclasses.asdict(s) for s in self.excluded]
        d["version_map"] = {k: [list(p) for p in v] for k, v in self.version_map.items()}
        return d

    def __str__(self) -> str:
        lines = [f"ArcticDB {self.source} library '{self.library}' -> systore {self.root} dataset '{self.dataset}'",
                 f"  symbols    {self.symbols}",
                 f"  versions   {self.versions} (one commit each)",
                 f"  rows       {self.rows:,}",
                 f"  snapshots  {self.snapshots}"]
        if self.materialized:
            lines[-1] += (f" ({len(self.materialized)} not on the version history, put in place with "
                          f"{self.extra_commits} extra commits: {', '.join(self.materialized)})")
        lines.append(f"  skipped    {len(self.skipped)}")
        lines += [f"    {s}" for s in self.skipped]
        if self.excluded:
            lines.append(f"  left out   {len(self.excluded)} (as asked)")
        lines.append(f"  seconds    {self.seconds:.2f}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Frames -> Arrow, exactly, or a reason why not.

class _Problem(Exception):
    pass


def _spec(t: pa.DataType) -> str:
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_integer(t):
        return "long"
    return "string"


def _fmt_ns(v: int) -> str:
    return str(pd.Timestamp(int(v)))


def _column(name: str, s: pd.Series) -> pa.Array:
    dt = s.dtype
    kind = getattr(dt, "kind", "O")
    if isinstance(dt, np.dtype) and kind == "f":
        values = s.to_numpy()
        if values.dtype == np.float16:
            values = values.astype(np.float64)  # exact widening; the store holds float32/64
        return pa.array(values, from_pandas=False)  # NaN stays a NaN value, bits and all
    if isinstance(dt, np.dtype) and kind in "iu":
        values = s.to_numpy()
        if values.dtype == np.uint64:
            if values.size and values.max() > np.iinfo(np.int64).max:
                raise _Problem(f"column '{name}' is uint64 with values above 2**63-1, which the store's "
                               f"int64 columns cannot hold")
            values = values.astype(np.int64)
        return pa.array(values)
    if kind == "b":
        raise _Problem(f"column '{name}' is bool; the store holds double, integer and string columns "
                       f"(cast it, e.g. df['{name}'].astype('int8'), before importing)")
    if kind in "mM":
        raise _Problem(f"column '{name}' is {dt}; the store holds double, integer and string columns "
                       f"(convert it, e.g. to int64 nanoseconds, before importing)")
    if kind == "c":
        raise _Problem(f"column '{name}' is complex ({dt}), which the store cannot hold")
    try:
        if kind == "O":
            arr = pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)  # None/NaN -> null
        else:
            arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        odd = next((v for v in s.to_numpy() if v is not None and not isinstance(v, (str, float))), None)
        what = f" (e.g. a {type(odd).__name__}: {odd!r})" if odd is not None else ""
        raise _Problem(f"column '{name}' holds objects that are not strings{what}: {e}") from None
    t = arr.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if not (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_string(t)
            or pa.types.is_large_string(t)):
        raise _Problem(f"column '{name}' is {dt} (Arrow {arr.type}); the store holds double, integer and "
                       f"string columns")
    return arr


def frame_to_arrow(data: Any) -> pa.Table:
    """An ArcticDB-read DataFrame/Series as the store's table (`ts` + value columns), values
    exact (NaN stays NaN, not null). Raises _Problem with the reason when it cannot."""
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "price")
    if not isinstance(data, pd.DataFrame):
        raise _Problem(f"holds a {type(data).__name__}, not a DataFrame or Series (pickled data?); "
                       f"systore stores time series")
    idx = data.index
    if isinstance(idx, pd.MultiIndex):
        raise _Problem(f"has a MultiIndex ({idx.nlevels} levels); a systore series is indexed by one "
                       f"timestamp")
    if not isinstance(idx, pd.DatetimeIndex):
        raise _Problem(f"is indexed by a {type(idx).__name__}, not a DatetimeIndex; systore stores time "
                       f"series (a timestamp index and value columns)")
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    ns = idx.as_unit("ns").asi8
    if idx.hasnans:
        row = int(np.flatnonzero(pd.isna(idx))[0])
        raise _Problem(f"row {row + 1}: the index has no timestamp (NaT)")
    bad = np.flatnonzero(np.diff(ns) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        how = ("duplicates the previous row" if ns[i] == ns[i - 1]
               else f"is before the previous row's {_fmt_ns(ns[i - 1])}")
        more = f" ({bad.size} such rows)" if bad.size > 1 else ""
        raise _Problem(f"row {i + 1}: timestamp {_fmt_ns(ns[i])} {how}{more}; systore series need strictly "
                       f"increasing timestamps")
    cols: Dict[str, pa.Array] = {"ts": pa.array(ns, type=pa.int64()).cast(_TS_TYPE)}
    for c in data.columns:
        if isinstance(c, tuple):
            raise _Problem(f"has MultiIndex columns ({c!r}); the store needs flat column names")
        name = str(c)
        if name == "ts":
            raise _Problem("has a column named 'ts', the name of the store's timestamp column")
        if name in cols:
            raise _Problem(f"has two columns named '{name}'")
        col = data[c]
        if isinstance(col, pd.DataFrame):  # duplicate labels
            raise _Problem(f"has two columns named '{name}'")
        cols[name] = _column(name, col)
    return pa.table(cols)


Schema = List[Tuple[str, str]]  # the dataset's value columns: [(name, "double" | "long" | "string")]


def _signature(table: pa.Table) -> Tuple[Schema, Dict[str, int]]:
    """The table's schema and, for integer columns, the largest |value| (0 when empty)."""
    schema, big = [], {}
    for f in table.schema:
        if f.name == "ts":
            continue
        t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        schema.append((f.name, _spec(t)))
        if pa.types.is_integer(t):
            mm = pc.min_max(table.column(f.name)).as_py()
            big[f.name] = max(abs(mm["min"] or 0), abs(mm["max"] or 0))
    return schema, big


def _mismatch(sig: Tuple[Schema, Dict[str, int]], schema: Schema, origin: str) -> Optional[str]:
    """Why a table of signature `sig` cannot go into a dataset of `schema`, or None. The
    same columns with the same kinds; an integer column may go into a double one when every
    value is exact in a double."""
    have, big = dict(sig[0]), sig[1]
    if set(have) != {n for n, _ in schema}:
        return (f"has columns {[n for n, _ in sig[0]]} but the dataset's are {[n for n, _ in schema]} ({origin}); "
                f"a systore dataset has one set of columns: import the others into another dataset")
    for n, want in schema:
        if have[n] == want:
            continue
        if have[n] == "long" and want == "double":
            if big.get(n, 0) <= _MAX_EXACT_INT_IN_DOUBLE:
                continue
            return (f"column '{n}' holds integers up to {big[n]}, beyond 2**53, but the dataset stores it as "
                    f"double ({origin}), which would not hold them exactly")
        return f"column '{n}' is {have[n]} but the dataset stores it as {want} ({origin})"
    return None


_ARROW_OF = {"double": pa.float64(), "long": pa.int64(), "string": pa.string()}


def _conform(table: pa.Table, schema: Optional[Schema], origin: str) -> pa.Table:
    """`table` with its columns in the dataset's order; _Problem when they do not fit.
    An empty table takes the dataset's columns whatever its own (ArcticDB's empty frames
    carry default dtypes), and sets none while the dataset has none."""
    if table.num_rows == 0:
        if schema is None:
            return table.select(["ts"])
        return pa.table({"ts": table.column("ts"), **{n: pa.array([], type=_ARROW_OF[s]) for n, s in schema}})
    if schema is None:
        return table
    why = _mismatch(_signature(table), schema, origin)
    if why:
        raise _Problem(why)
    return table.select(["ts"] + [n for n, _ in schema])


# ---------------------------------------------------------------------------------------
# The import.

def _timeseries(store) -> TimeSeries:
    if isinstance(store, TimeSeries):
        return store
    if hasattr(store, "timeseries") and isinstance(store.timeseries, TimeSeries):
        return store.timeseries
    if isinstance(store, (str, os.PathLike)):
        from . import open as _open
        return _open(os.fspath(store)).timeseries
    raise InvalidArgument(f"store must be a systore.Store, a TimeSeries or a root directory, "
                          f"got {type(store).__name__}")


def _mapper(m, what: str) -> Callable[[str], Optional[str]]:
    if m is None:
        return lambda s: s
    if callable(m):
        return m
    if isinstance(m, Mapping):
        return lambda s: m.get(s, s)
    raise InvalidArgument(f"{what} must be a dict or a callable (name -> new name or None to skip), "
                          f"got {type(m).__name__}")


def _key_problem(key: Any) -> Optional[str]:
    if not isinstance(key, str):
        return f"the key map gave {key!r}, not a string"
    if not key:
        return "the key is empty"
    if len(key) > 256:
        return f"the key '{key[:40]}...' is longer than 256 characters"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        return f"the key {key!r} contains a control character"
    return None


def _snapshot_problem(name: Any) -> Optional[str]:
    if not isinstance(name, str):
        return f"the snapshot map gave {name!r}, not a string"
    if name in (".", "..") or not _SNAPSHOT_NAME.match(name):
        return (f"'{name}' is not a valid systore snapshot name (letters, digits, '_', '-', '.', not "
                f"starting with '_' or '.'): rename it with snapshot_map / --snapshot-map")
    return None


def _open_library(arctic, library):
    try:
        import arcticdb
    except ImportError as e:  # pragma: no cover - arcticdb is in requirements.txt
        raise ImportError("systore.migrate.from_arcticdb needs arcticdb: pip install arcticdb==6.28.2") from e
    if not isinstance(library, str):  # an arcticdb Library
        label = arctic if isinstance(arctic, str) else (
            arctic.get_uri() if hasattr(arctic, "get_uri") else str(getattr(library, "arctic_instance_desc", "")))
        return library, getattr(library, "name", str(library)), label
    if isinstance(arctic, str):
        uri = arctic
        if uri.startswith("lmdb://"):
            path = uri[len("lmdb://"):].split("?", 1)[0]
            if not os.path.isdir(path):  # Arctic() would create an empty one
                raise NotFound(f"no ArcticDB LMDB store at {path} (from {uri})")
        try:
            ac = arcticdb.Arctic(uri)
        except Exception as e:
            raise InvalidArgument(f"cannot open ArcticDB at {uri}: {e}") from None
    else:
        ac = arctic
        uri = ac.get_uri() if hasattr(ac, "get_uri") else str(ac)
    names = ac.list_libraries()
    if library not in names:
        raise NotFound(f"ArcticDB at {uri} has no library '{library}' "
                       f"(libraries: {', '.join(sorted(names)) or 'none'})")
    return ac.get_library(library), library, uri


def from_arcticdb(arctic, library, dataset: str, *, store, key_map: KeyMap = None,
                  symbols: Optional[Iterable[str]] = None, all_versions: bool = False,
                  snapshots: bool = False, snapshot_map: KeyMap = None, on_error: str = "raise",
                  check: bool = True, progress: Optional[Callable[[str], None]] = None) -> ImportSummary:
    """Imports an ArcticDB library into the systore time-series dataset `dataset` and
    returns an ImportSummary (print it; .to_dict() for JSON).

    arctic: an ArcticDB URI ("lmdb:///path", "s3://...") or an arcticdb.Arctic; library: the
    library's name (or an arcticdb Library, then `arctic` is only a label). LMDB allows
    one open per path per process: in a process that has the LMDB store open already, pass
    that Arctic (or Library), not its URI. store: a systore.Store, its .timeseries, or a
    root directory (created when missing).

    Keys: symbol S becomes series key_map(S): default S itself; a dict maps the symbols it
    names and leaves the rest as they are; a callable maps every symbol; None (as a dict
    value or returned) leaves S out. symbols: import only these (default: every symbol,
    and with snapshots=True also the symbols only snapshots still hold).

    - Default: each symbol's current version, one commit each.
    - all_versions=True: every live version of every symbol, one commit each, in the order
      ArcticDB wrote them (version dates), so ts.versions(dataset, key) lists one commit
      per ArcticDB version, in version order. summary.version_map[key] pairs each ArcticDB
      version with its systore version (read it with as_of=that version). Versions ArcticDB
      deleted (delete(versions=), prune_previous_versions) are not live and not replayed.
    - snapshots=True: ArcticDB snapshot N becomes systore snapshot snapshot_map(N) (default
      N; systore names allow letters, digits, '_', '-', '.') holding exactly N's state of
      the dataset: N's imported symbols at N's versions and no other key (a key N does not
      hold reads NotFound as_of it, as in ArcticDB). When that state is a point of the
      replay (a snapshot of the whole library, taken between writes, with all_versions) it
      is pinned right there, at no cost. Otherwise (a snapshot of chosen symbols or
      versions, one holding versions or symbols ArcticDB since deleted, or any snapshot but
      the current state without all_versions) its state is put in place after the replay
      with extra commits (writes of those versions, deletes of other keys), pinned, and the
      current state is restored; summary.materialized names those snapshots and
      summary.extra_commits counts the commits, which also show in ts.versions. A systore
      snapshot pins every dataset of the root, so the target dataset must hold no other
      series; snapshots of other datasets are simply what those held at import time.

    Values are exact: float64 bits (NaN payloads, -0.0, subnormals, inf), float32 (widened
    exactly; read back as float64), integers (int8..int64, uint8..uint32, uint64 below
    2**63; read back as int64), strings (None and NaN both become null; read back None).
    The index becomes `ts`: nanoseconds kept, tz-aware indexes as UTC, read back naive UTC
    named DATETIME. An unnamed Series becomes column "price".

    A dataset has one set of columns: the stored one, else the one most imported symbols
    have (ties: the alphabetically first symbol's); column order follows it. Cannot be
    imported, each named with its symbol and version: frames without a DatetimeIndex,
    MultiIndex rows or columns, pickled objects, bool, datetime, timedelta and complex
    columns, uint64 at or above 2**63, unsorted, duplicate or NaT timestamps, a column
    named 'ts', other columns than the dataset's, integers beyond 2**53 into a double column.
    An empty version is written as an empty write: the key then holds no rows (systore keeps
    no empty series; it reads NotFound there); for a key holding no rows yet the store may
    commit nothing (version_map then shows -1). Not carried over: ArcticDB's version dates
    (systore commits are dated when the import runs, so as_of=<time> means import time),
    snapshot metadata, the index name, user metadata.

    on_error: "raise" (default) raises MigrationError (a systore.InvalidArgument) listing
    every problem, before anything is written; "skip" leaves out the symbols that cannot be
    imported and the snapshots holding them, listed in summary.skipped. check=False skips
    the check pass that reads and converts everything before writing (then a problem stops
    the import part way and the error says what was written; on_error must be "raise").
    Keys the dataset already holds and snapshot names already taken are problems too:
    nothing is overwritten. Run it alone: other writers to the dataset during the import
    would show in the snapshots. progress: called with a line of text now and then.

    Example:
        s = from_arcticdb("lmdb:///data/arctic", "futures", "prices/adjusted",
                          store="systore-data", key_map={"ES_adj": "ES"}, all_versions=True)
        print(s)                 # symbols, versions, rows, snapshots, skipped, seconds
    """
    t0 = time.monotonic()
    if on_error not in ("raise", "skip"):
        raise InvalidArgument(f"on_error must be 'raise' or 'skip', not {on_error!r}")
    if not check and on_error == "skip":
        raise InvalidArgument("on_error='skip' needs check=True (symbols are skipped by the check pass)")
    ts = _timeseries(store)
    lib, lib_name, uri = _open_library(arctic, library)
    job = _ArcticImport(ts, lib, dataset, ImportSummary(source=uri, library=lib_name, root=ts._root, dataset=dataset),
                        progress or (lambda msg: None))
    job.plan(_mapper(key_map, "key_map"), symbols, all_versions, snapshots, _mapper(snapshot_map, "snapshot_map"))
    if check:
        job.check()
    job.settle_problems(on_error)
    job.write()
    job.summary.seconds = time.monotonic() - t0
    return job.summary


class _ArcticImport:
    """One import: plan (what to write, in which order), check (read and convert it all),
    write (the replay, pinning snapshots on the way), then snapshots off the replay."""

    def __init__(self, ts: TimeSeries, lib, dataset: str, summary: ImportSummary, say):
        self.ts, self.lib, self.dataset, self.summary, self.say = ts, lib, dataset, summary, say
        self.problems: Dict[str, List[str]] = {}       # symbol -> reasons it cannot be imported
        self.snap_problems: Dict[str, List[str]] = {}  # snapshot -> reasons
        self.cache: Dict[Tuple[str, int], pa.Table] = {}
        self.cache_bytes = 0
        self.done: List[Tuple[str, int]] = []          # (symbol, version) written
        self.present: Dict[str, bool] = {}             # key -> holds rows now
        # The dataset's columns [(name, "double"|"long"|"string")]: as stored, else the first
        # non-empty version imported.
        self.schema: Optional[List[Tuple[str, str]]] = None
        self.schema_origin = ""

    # -- plan ---------------------------------------------------------------------------
    def plan(self, to_key, symbols, all_versions: bool, snapshots: bool, to_snap) -> None:
        ts, lib, dataset, summary = self.ts, self.lib, self.dataset, self.summary
        self.all_versions = all_versions
        try:
            existing_keys = set(ts.list_keys(dataset))
        except NotFound:
            existing_keys = set()
        if existing_keys:
            k0 = sorted(existing_keys)[0]
            self.schema = _signature(translate(lambda: _table(ts._store.latest(dataset, k0, 1)))())[0]
            self.schema_origin = f"as stored for key '{k0}'"

        self.say(f"listing {summary.source} library '{summary.library}'")
        self.versions: Dict[str, Dict[int, Any]] = {}  # symbol -> {version: VersionInfo}
        for sv, info in lib.list_versions().items():
            self.versions.setdefault(sv.symbol, {})[int(sv.version)] = info
        contents: Dict[str, Dict[str, int]] = {}        # ArcticDB snapshot -> {symbol: version}
        if snapshots:
            contents = {name: {} for name in lib.list_snapshots()}
            for sym, vs in self.versions.items():
                for v, info in vs.items():
                    for name in info.snapshots:
                        contents.setdefault(name, {})[sym] = v
        in_snapshots = {s for c in contents.values() for s in c}
        current = set(lib.list_symbols())
        if symbols is None:
            wanted = current | in_snapshots
        else:
            wanted = {symbols} if isinstance(symbols, str) else set(symbols)
            missing = sorted(wanted - current - in_snapshots)
            if missing:
                raise NotFound(f"library '{summary.library}' has no symbol {', '.join(repr(m) for m in missing)}")

        self.keys: Dict[str, str] = {}
        for sym in sorted(wanted):
            key = to_key(sym)
            if key is None:
                summary.excluded.append(Skipped("symbol", sym, "the key map leaves it out"))
                continue
            bad = _key_problem(key)
            if bad is None and key in existing_keys:
                bad = f"dataset '{dataset}' already holds key '{key}' (nothing is overwritten)"
            if bad:
                self.problems.setdefault(sym, []).append(bad)
            self.keys[sym] = key
        by_key: Dict[str, List[str]] = {}
        for sym, key in self.keys.items():
            by_key.setdefault(key, []).append(sym)
        clash = {k: v for k, v in by_key.items() if len(v) > 1}
        if clash:
            raise MigrationError("the key map sends several symbols to one key: " + "; ".join(
                f"{', '.join(repr(s) for s in v)} -> '{k}'" for k, v in sorted(clash.items())))
        others = sorted(existing_keys - set(self.keys.values()))
        if snapshots and others:
            raise MigrationError(
                f"snapshots=True needs dataset '{dataset}' to hold only the imported series, but it holds "
                f"{len(others)} others ({', '.join(others[:5])}{'...' if len(others) > 5 else ''}): a systore "
                f"snapshot pins whole datasets; import into a new dataset")

        self.live = {s: sorted(v for v, i in self.versions.get(s, {}).items() if not i.deleted) for s in self.keys}
        self.snap_of: Dict[Tuple[str, int], str] = {}  # a deleted version -> a snapshot that still holds it
        for s in self.keys:
            for v, info in self.versions.get(s, {}).items():
                if info.deleted and info.snapshots:
                    self.snap_of[(s, v)] = info.snapshots[0]

        self.contents = contents
        self.snap_names: Dict[str, str] = {}  # ArcticDB snapshot -> systore snapshot
        taken = {s["name"] for s in ts.list_snapshots()} if snapshots else set()
        for name in sorted(contents):
            new = to_snap(name)
            if new is None:
                summary.excluded.append(Skipped("snapshot", name, "the snapshot map leaves it out"))
                continue
            bad = _snapshot_problem(new)
            if bad is None and new in taken:
                bad = f"systore already has a snapshot '{new}' (nothing is overwritten)"
            if bad is None and new in self.snap_names.values():
                bad = f"the snapshot map sends another snapshot to '{new}' too"
            if bad:
                self.snap_problems.setdefault(name, []).append(bad)
            self.snap_names[name] = new

    def replay(self, syms) -> List[Tuple[str, int]]:
        """(symbol, version) in the order ArcticDB wrote them; each symbol's versions stay in
        version order even if the version dates disagree."""
        ev = []
        for s in syms:
            last = None
            for v in (self.live[s] if self.all_versions else self.live[s][-1:]):
                d = self.versions[s][v].date.value
                last = d if last is None else max(last, d)
                ev.append((last, s, v))
        return [(s, v) for _, s, v in sorted(ev)]

    # -- reading and converting -----------------------------------------------------------
    def read(self, s: str, v: int) -> pa.Table:
        """Version v of symbol s as a store table (columns as ArcticDB has them); _Problem
        when it cannot be one."""
        t = self.cache.get((s, v))
        if t is not None:
            return t
        as_of = v if v in self.live[s] else self.snap_of[(s, v)]  # deleted: through its snapshot
        try:
            data = self.lib.read(s, as_of=as_of).data
        except Exception as e:  # arcticdb's own errors
            raise _Problem(f"ArcticDB read failed: {type(e).__name__}: {e}") from None
        return frame_to_arrow(data)

    def table(self, s: str, v: int) -> pa.Table:
        """Version v of symbol s as the dataset's table; _Problem when it cannot be."""
        t = self.read(s, v)
        if self.schema is None and t.num_rows > 0:  # check=False: the first version sets it
            self.schema, self.schema_origin = _signature(t)[0], f"set by symbol '{s}'"
        return _conform(t, self.schema, self.schema_origin)

    def check(self) -> None:
        """Reads and converts every version to be written; finds the problems before any write."""
        need = set(self.replay([s for s in self.keys if s not in self.problems]))
        for name in self.snap_names:
            need |= {(s, v) for s, v in self.contents[name].items() if s in self.keys and s not in self.problems}
        order = sorted(need)
        self.say(f"checking {len(order)} versions of {len({s for s, _ in order})} symbols")
        sigs: Dict[Tuple[str, int], Tuple[Schema, Dict[str, int]]] = {}
        for i, (s, v) in enumerate(order):
            if s in self.problems:
                continue
            try:
                t = self.read(s, v)
            except _Problem as e:
                self.problems.setdefault(s, []).append(f"version {v}: {e}")
                continue
            if t.num_rows > 0:
                sigs[(s, v)] = _signature(t)
            if self.cache_bytes + t.nbytes <= _CACHE_BYTES:
                self.cache[(s, v)] = t
                self.cache_bytes += t.nbytes
            if (i + 1) % max(1, len(order) // 10) == 0:
                self.say(f"  checked {i + 1}/{len(order)}")
        sigs = {sv: g for sv, g in sigs.items() if sv[0] not in self.problems}
        if self.schema is None and sigs:
            # The columns most symbols have (the first such symbol's column order).
            holders: Dict[frozenset, List[str]] = {}
            for (s, _), (schema, _) in sigs.items():
                lst = holders.setdefault(frozenset(schema), [])
                if s not in lst:
                    lst.append(s)
            best = max(holders.values(), key=len)
            first = min(best)
            self.schema = next(g[0] for (s, _), g in sorted(sigs.items()) if s == first)
            self.schema_origin = (f"those of symbol '{first}'" if len(best) == 1 else
                                  f"those of {len(best)} of {len({s for s, _ in sigs})} symbols, e.g. '{first}'")
        for (s, v), g in sorted(sigs.items()):
            why = _mismatch(g, self.schema, self.schema_origin)
            if why:
                self.problems.setdefault(s, []).append(f"version {v}: {why}")

    def settle_problems(self, on_error: str) -> None:
        """Raises the problems found (on_error="raise") or leaves their symbols and snapshots out."""
        for name in self.snap_names:
            bad = sorted(s for s in self.contents[name] if s in self.problems)
            if bad:
                self.snap_problems.setdefault(name, []).append(
                    f"holds symbol {', '.join(repr(b) for b in bad)}, which cannot be imported")
        if not self.problems and not self.snap_problems:
            return
        listed = [(f"symbol '{s}'", r) for s in sorted(self.problems) for r in self.problems[s]]
        listed += [(f"snapshot '{n}'", r) for n in sorted(self.snap_problems) for r in self.snap_problems[n]]
        if on_error == "raise":
            shown = "\n".join(f"  {w}: {r}" for w, r in listed[:50])
            more = f"\n  ... and {len(listed) - 50} more" if len(listed) > 50 else ""
            raise MigrationError(
                f"cannot import {len(self.problems)} symbols and {len(self.snap_problems)} snapshots of ArcticDB "
                f"library '{self.summary.library}' into dataset '{self.dataset}'; nothing was written "
                f"(on_error='skip' / --skip-invalid imports the rest):\n{shown}{more}", listed)
        for s in sorted(self.problems):
            self.summary.skipped.append(Skipped("symbol", s, "; ".join(self.problems[s])))
            del self.keys[s]
        for n in sorted(self.snap_problems):
            self.summary.skipped.append(Skipped("snapshot", n, "; ".join(self.snap_problems[n])))
            del self.snap_names[n]

    # -- writing --------------------------------------------------------------------------
    def _stopped(self, msg: str) -> str:
        if not self.done:
            return msg + " (nothing was written)"
        return (msg + f" -- the import stopped after writing {len(self.done)} versions of "
                f"{len({s for s, _ in self.done})} symbols into '{self.dataset}'; delete those keys or use a new "
                f"dataset before importing again")

    def write_version(self, s: str, v: int) -> Tuple[int, int]:
        """Writes version v of s as its key's content; (systore version or -1, rows)."""
        try:
            t = self.table(s, v)
        except _Problem as e:
            raise MigrationError(self._stopped(f"symbol '{s}' version {v}: {e}"), [(f"symbol '{s}'", str(e))]) from None
        try:
            res = self.ts.write(self.dataset, self.keys[s], t)
        except Error as e:
            raise type(e)(self._stopped(f"symbol '{s}' version {v}: {e}")) from None
        self.present[self.keys[s]] = t.num_rows > 0
        self.cache.pop((s, v), None)
        self.done.append((s, v))
        return res["version"], t.num_rows

    def pin(self, name: str) -> None:
        try:
            self.ts.snapshot(self.snap_names[name])
        except Error as e:
            raise type(e)(self._stopped(f"snapshot '{name}': {e}")) from None
        self.summary.snapshot_map[name] = self.snap_names[name]
        self.summary.snapshots += 1

    def write(self) -> None:
        summary = self.summary
        events = self.replay(sorted(self.keys))
        # Each snapshot's state over the imported symbols; pinned where the replay passes it.
        wanted: Dict[str, Dict[str, int]] = {}
        for name in self.snap_names:
            content = {s: v for s, v in self.contents[name].items() if s in self.keys}
            if content:
                wanted[name] = content
            else:
                summary.excluded.append(Skipped("snapshot", name, "holds none of the imported symbols"))
        # A snapshot is a point of the replay when, right after some write, the dataset holds
        # exactly its symbols at its versions. hits[name]: its symbols at its version now.
        holders: Dict[str, List[str]] = {}
        for name, content in wanted.items():
            for s in content:
                holders.setdefault(s, []).append(name)
        hits = {name: 0 for name in wanted}
        pin_after: Dict[int, List[str]] = {}
        state: Dict[str, int] = {}
        for i, (s, v) in enumerate(events):
            old, state[s] = state.get(s), v
            for name in holders.get(s, ()):
                hits[name] += (v == wanted[name][s]) - (old == wanted[name][s])
                if hits[name] == len(wanted[name]) == len(state):
                    pin_after.setdefault(i, []).append(name)
        on_replay = {n for names in pin_after.values() for n in names}

        self.say(f"writing {len(events)} versions of {len(self.keys)} symbols into '{self.dataset}'")
        for i, (s, v) in enumerate(events):
            version, rows = self.write_version(s, v)
            summary.version_map.setdefault(self.keys[s], []).append((v, version))
            summary.versions += 1
            summary.rows += rows
            for name in pin_after.get(i, []):
                self.pin(name)
            if (i + 1) % max(1, len(events) // 10) == 0:
                self.say(f"  wrote {i + 1}/{len(events)}")

        # Snapshots off the replay: put each state in place, pin it, then restore the current one.
        off = sorted((n for n in wanted if n not in on_replay),
                     key=lambda n: (max(self.versions[s][v].date.value for s, v in wanted[n].items()), n))
        if off:
            self.say(f"putting {len(off)} snapshots in place with extra commits")
            final = dict(state)
            for name in off:
                self.become(state, wanted[name])
                self.pin(name)
                summary.materialized.append(name)
            self.become(state, final)
        written = {s for s, _ in self.done}
        summary.keys = {s: self.keys[s] for s in sorted(written)}
        summary.symbols = len(written)

    def become(self, state: Dict[str, int], target: Dict[str, int]) -> None:
        """Makes the dataset hold exactly `target` {symbol: version} (state: what it holds)."""
        for s in sorted(target):
            if state.get(s) != target[s]:
                version, _ = self.write_version(s, target[s])
                state[s] = target[s]
                self.summary.extra_commits += version >= 0
        for s in sorted(set(state) - set(target)):
            key = self.keys[s]
            if self.present.get(key):
                try:
                    self.ts.delete(self.dataset, key)
                except Error as e:
                    raise type(e)(self._stopped(f"deleting key '{key}': {e}")) from None
                self.present[key] = False
                self.summary.extra_commits += 1
            del state[s]


# ---------------------------------------------------------------------------------------
# python -m systore.migrate

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3

_EPILOG = """\
what maps to what:
  each ArcticDB symbol   -> the series KEY (the symbol, or --key-map) in --dataset
  its current version    -> one commit; with --all-versions every live version, in the order
                            ArcticDB wrote them (ts.versions shows one commit per version)
  each snapshot          -> (--snapshots) a systore snapshot of the same name (after
                            --snapshot-prefix) holding exactly that snapshot's symbols and
                            versions; read it with `systore ts read ... --snapshot NAME` or
                            ts.read(..., as_of=NAME); a snapshot that is not a point of
                            the replayed history (chosen symbols or versions, deleted
                            versions, older states without --all-versions) is put in place
                            with extra commits, then the current state is restored
  the DatetimeIndex      -> ts (nanoseconds; tz-aware indexes as UTC)
  float/int/string cols  -> the same values, bit for bit (NaN, -0.0, subnormals included)

not importable (named with the symbol and version; nothing is written unless
--skip-invalid): frames without a DatetimeIndex, MultiIndex, pickled objects, bool /
datetime / complex columns, unsorted or duplicate timestamps, and symbols whose columns
differ from the dataset's (one dataset has one set of columns). Keys the dataset
already holds and snapshot names already taken are errors too: nothing is overwritten.
Not carried over: ArcticDB's version dates (commits are dated at import), metadata.

examples:
  python -m systore.migrate arcticdb lmdb:///data/arctic futures --root systore-data \\
      --dataset prices/adjusted
  python -m systore.migrate arcticdb lmdb:///data/arctic futures --root systore-data \\
      --dataset prices/adjusted --all-versions --snapshots --key-map keys.json
      (keys.json: {"ES_adj": "ES", "junk": null} -- null leaves a symbol out)

exit status: 0 imported everything, 1 error (message on stderr), 2 bad arguments,
3 imported but something was skipped (--skip-invalid; listed in the summary)."""


def _parsers() -> Tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    p = argparse.ArgumentParser(
        prog="python -m systore.migrate",
        description="Import another store's data into systore. Sources: arcticdb.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="source", metavar="SOURCE", required=True)
    a = sub.add_parser(
        "arcticdb", help="import an ArcticDB library into a time-series dataset",
        description="Import every symbol of an ArcticDB library into one systore time-series dataset, "
                    "values exact; optionally every version and the snapshots.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("uri", metavar="URI", help="the ArcticDB URI, e.g. lmdb:///data/arctic or s3://...")
    a.add_argument("library", metavar="LIBRARY", help="the ArcticDB library to import")
    a.add_argument("--root", required=True, help="the systore root (created when missing)")
    a.add_argument("--dataset", required=True, help="the time-series dataset to import into, e.g. prices/adjusted")
    a.add_argument("--all-versions", action="store_true", help="import every live version, not just the current one")
    a.add_argument("--snapshots", action="store_true", help="import ArcticDB snapshots as systore snapshots")
    a.add_argument("--snapshot-prefix", default="", metavar="P",
                   help="prefix systore snapshot names with P (e.g. arctic-), avoiding clashes")
    a.add_argument("--snapshot-map", metavar="FILE.json",
                   help='a JSON object {"arctic snapshot": "systore-name"} (before --snapshot-prefix); null '
                        'leaves one out')
    a.add_argument("--key-map", metavar="FILE.json",
                   help='a JSON object {"symbol": "key"}; unmapped symbols keep their name, null leaves one out')
    a.add_argument("--symbol", action="append", metavar="S", dest="symbols",
                   help="import only this symbol (repeatable)")
    a.add_argument("--skip-invalid", action="store_true",
                   help="leave out symbols (and snapshots) that cannot be imported instead of failing; exit 3")
    a.add_argument("--no-check", action="store_true",
                   help="skip the check pass that reads everything before writing (faster; an error then "
                        "stops the import part way)")
    a.add_argument("--json", action="store_true", help="print the summary as JSON")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p, a


def _load_map(path: str, option: str, parser: argparse.ArgumentParser) -> Dict[str, Optional[str]]:
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        parser.error(f"{option} {path}: {e}")
    if not isinstance(m, dict) or not all(isinstance(v, str) or v is None for v in m.values()):
        parser.error(f'{option} {path}: expected a JSON object of "name": "new name" (or null)')
    return m


def main(argv: Optional[List[str]] = None) -> int:
    parser, sub = _parsers()
    args = parser.parse_args(argv)
    key_map = _load_map(args.key_map, "--key-map", sub) if args.key_map else None
    snap_map = _load_map(args.snapshot_map, "--snapshot-map", sub) if args.snapshot_map else {}
    if args.skip_invalid and args.no_check:
        sub.error("--skip-invalid needs the check pass (drop --no-check)")
    prefix = args.snapshot_prefix

    def snapshot_name(name: str) -> Optional[str]:
        new = snap_map.get(name, name)
        return None if new is None else prefix + new

    progress = None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    try:
        summary = from_arcticdb(args.uri, args.library, args.dataset, store=args.root, key_map=key_map,
                                symbols=args.symbols, all_versions=args.all_versions, snapshots=args.snapshots,
                                snapshot_map=snapshot_name,
                                on_error="skip" if args.skip_invalid else "raise",
                                check=not args.no_check, progress=progress)
    except Error as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # arcticdb or I/O failures: a message, not a traceback
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary)
    return EXIT_SKIPPED if summary.skipped else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
