"""systore from Python: time series as pandas or Arrow, through the C++ stores.

    import systore
    st = systore.open("systore-data")
    st.timeseries.write("prices/adjusted", "SOFR", df)     # DataFrame with a DatetimeIndex
    df = st.timeseries.read("prices/adjusted", "SOFR", start="2024-01-01")

Tables cross into C++ as Arrow C streams (no copies). Errors are systore.Error
subclasses named after the store's Status codes, with the store's message.
"""
from __future__ import annotations

import pyarrow as _pa

REQUIRED_PYARROW = "26.0.1"  # the Arrow C++ the extension is built against (requirements.txt)
if _pa.__version__ != REQUIRED_PYARROW:
    raise ImportError(
        f"systore needs pyarrow=={REQUIRED_PYARROW} (its extension links that wheel's Arrow C++; "
        f"one libarrow per process), but pyarrow {_pa.__version__} is loaded: "
        f"pip install pyarrow=={REQUIRED_PYARROW}")

# Load the system OpenSSL through Python's own modules before the extension: pyarrow's
# libparquet exports a bundled OpenSSL's symbols, and a libcrypto first loaded as a
# dependency of the extension (via libpq/libmongoc) would bind its internal calls to them
# (a crash in hashlib). Loaded here first, libcrypto keeps its own symbols.
import hashlib as _hashlib  # noqa: E402,F401
import ssl as _ssl  # noqa: E402,F401

from . import _systore  # noqa: E402
from ._errors import (AlreadyExists, Conflict, Corruption, Error, Internal, InvalidArgument,  # noqa: E402,F401
                      IOError, NotFound, NotImplemented, Unavailable)
from .analytics import Analytics, asof_join, compute_bars  # noqa: E402,F401
from .backup import BackupRepository  # noqa: E402,F401
from .operational import Operational  # noqa: E402
from .quality import Quality, Quarantine  # noqa: E402
from .reference import Reference  # noqa: E402
from .timeseries import TimeSeries  # noqa: E402


class Store:
    """An open systore root, one object per kind of data:

    - `timeseries`: versioned series (prices, FX, analytics) as pandas or Arrow;
    - `operational`: orders, fills, positions, process control (ACID);
    - `reference`: instruments, roll parameters, costs (versioned, audited);
    - `quality`: check data, decide about the quarantine;
    - `analytics`: bars, as-of joins, volatility, forecasts, correlations, daily P&L,
      computed next to the data and stored back with lineage;
    - `blob`: pysystemtrade's dataBlob with its attribute names (needs pysystemtrade on
      sys.path; imported only when used).

    Stores open on first use. A process shares one time-series store per root.
    """

    def __init__(self, root: str, ops_uri: str = "", actor: str = ""):
        self.root = str(root)
        self._ops_uri = ops_uri
        self._actor = actor
        self.timeseries = TimeSeries(self.root)
        self._reference = None
        self._operational = None
        self._quality = None
        self._analytics = None
        self._blob = None

    @property
    def reference(self) -> Reference:
        """The reference store (opened on first use)."""
        if self._reference is None:
            self._reference = Reference(self.root)
        return self._reference

    @property
    def operational(self) -> Operational:
        """The operational store: the backend of <root>/systore.yaml, or open(..., ops_uri=)."""
        if self._operational is None:
            self._operational = Operational(self.root, self._ops_uri, self._actor)
        return self._operational

    @property
    def quality(self) -> Quality:
        """The quality gate and quarantine of this root."""
        if self._quality is None:
            self._quality = Quality(self.timeseries)
        return self._quality

    @property
    def analytics(self) -> Analytics:
        """Analytics over this root's datasets (results are versioned datasets)."""
        if self._analytics is None:
            self._analytics = Analytics(self)
        return self._analytics

    @property
    def blob(self):
        """A pysystemtrade dataBlob over this store (systore.pysystemtrade.systoreDataBlob) with
        every systore data class added: st.blob.db_futures_adjusted_prices.get_adjusted_prices("SOFR").
        Imports pysystemtrade, which must be importable (it is GPL and not on PyPI)."""
        if self._blob is None:
            from .pysystemtrade import make_blob
            self._blob = make_blob(self.root)
        return self._blob

    def __repr__(self) -> str:
        return f"systore.Store({self.root!r})"


def open(root: str = "systore-data", ops_uri: str = "", actor: str = "") -> Store:  # noqa: A001
    """Opens (creating when missing) the store at `root`. ops_uri overrides the operational
    backend (sqlite:///..., postgresql://..., mongodb://...); actor is recorded in audit logs."""
    return Store(root, ops_uri, actor)


__all__ = ["open", "Store", "TimeSeries", "Analytics", "compute_bars", "asof_join", "BackupRepository", "Reference", "Operational", "Quality", "Quarantine", "Error", "NotFound",
           "InvalidArgument", "AlreadyExists", "Conflict", "Corruption", "IOError", "Unavailable", "NotImplemented",
           "Internal"]
