"""Series tables (ts + value columns, one chunk each) to pandas frames, fast.

`pa.Table.to_pandas()` costs ~200 µs per frame whatever its size (it plans a general
conversion), which dominates `latest(100)` and a 182-series `read_many`. A series table
has a known shape, so the frame is put together directly from numpy arrays: the
timestamps become the DatetimeIndex (naive, UTC) and each value column one block. Like
pyarrow's own to_pandas, the fast path builds pandas' block manager; it is feature-
checked at import, and any pandas whose internals differ gets the public constructors
(same frames, slower). Values are copied, so frames are writable and own their memory.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

INDEX_NAME = "DATETIME"

_NUMERIC = (pa.float64(), pa.int64(), pa.float32(), pa.int32())


def _values(col: pa.Array) -> np.ndarray:
    """One column as a writable numpy array: numbers (nulls -> NaN) or objects."""
    if col.type in _NUMERIC:
        if col.null_count == 0:
            return np.array(col.to_numpy(zero_copy_only=True), copy=True)
        return col.to_numpy(zero_copy_only=False)  # a float copy, NaN for nulls
    return np.asarray(col.to_pandas(), dtype=object)  # text columns (e.g. *_CONTRACT)


def _index(ts: pa.Array) -> pd.DatetimeIndex:
    if ts.null_count:
        raise ValueError("a series table has a null timestamp")
    ns = np.frombuffer(ts.buffers()[1], dtype="datetime64[ns]", count=len(ts), offset=ts.offset * 8).copy()
    return _make_index(ns)


def _public_index(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns, name=INDEX_NAME, copy=False)


def _public_frame(names, arrays, index) -> pd.DataFrame:
    return pd.DataFrame(dict(zip(names, arrays)), index=index, columns=names, copy=False)


try:  # the block-manager path (pandas 2.x), checked once against the public one
    from pandas._libs.internals import BlockPlacement
    from pandas.core.arrays import DatetimeArray
    from pandas.core.internals import BlockManager
    from pandas.core.internals.blocks import new_block

    def _fast_index(ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex._simple_new(DatetimeArray._simple_new(ns, dtype=ns.dtype), name=INDEX_NAME)

    _COLUMNS: dict = {}  # column names -> their (immutable, shareable) Index

    def _columns(names) -> pd.Index:
        key = tuple(names)
        cols = _COLUMNS.get(key)
        if cols is None:
            if len(_COLUMNS) > 1024:
                _COLUMNS.clear()
            cols = _COLUMNS[key] = pd.Index(list(key), dtype=object)
        return cols

    def _fast_frame(names, arrays, index) -> pd.DataFrame:
        blocks = tuple(new_block(a.reshape(1, -1), placement=BlockPlacement(slice(i, i + 1)), ndim=2)
                       for i, a in enumerate(arrays))
        mgr = BlockManager(blocks, [_columns(names), index], verify_integrity=False)
        return pd.DataFrame._from_mgr(mgr, axes=mgr.axes)

    _probe_ns = np.array([0, 86_400_000_000_000], dtype="datetime64[ns]")
    _probe = [np.array([1.5, 2.5]), np.array(["a", "b"], dtype=object)]
    if not _fast_frame(["x", "y"], _probe, _fast_index(_probe_ns)).equals(
            _public_frame(["x", "y"], _probe, _public_index(_probe_ns))):
        raise ImportError("pandas internals differ")
    _make_index, _make_frame = _fast_index, _fast_frame
except Exception:  # noqa: BLE001 - any pandas without these internals: the public path
    _make_index, _make_frame = _public_index, _public_frame


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """A series table (ts first) as a DataFrame with a DatetimeIndex named DATETIME."""
    columns = table.columns
    names = table.column_names[1:]
    if table.num_rows == 0:
        return _public_frame(names, [c.to_numpy() for c in columns[1:]],
                             _public_index(np.array([], dtype="datetime64[ns]")))
    chunks = [c.chunks[0] if c.num_chunks == 1 else pa.concat_arrays(c.chunks) for c in columns]
    return _make_frame(names, [_values(c) for c in chunks[1:]], _index(chunks[0]))
