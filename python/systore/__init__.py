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

from . import _systore  # noqa: E402
from ._errors import (AlreadyExists, Conflict, Corruption, Error, Internal, InvalidArgument,  # noqa: E402,F401
                      IOError, NotFound, NotImplemented, Unavailable)
from .reference import Reference  # noqa: E402
from .timeseries import TimeSeries  # noqa: E402


class Store:
    """An open systore root: `timeseries` (versioned series) and `reference` (tables)."""

    def __init__(self, root: str):
        self.root = str(root)
        self.timeseries = TimeSeries(self.root)
        self._reference = None

    @property
    def reference(self) -> Reference:
        """The reference store (opened on first use)."""
        if self._reference is None:
            self._reference = Reference(self.root)
        return self._reference

    def __repr__(self) -> str:
        return f"systore.Store({self.root!r})"


def open(root: str = "systore-data") -> Store:  # noqa: A001 - systore.open reads naturally
    """Opens (creating when missing) the store at `root`."""
    return Store(root)


__all__ = ["open", "Store", "TimeSeries", "Reference", "Error", "NotFound", "InvalidArgument", "AlreadyExists",
           "Conflict", "Corruption", "IOError", "Unavailable", "NotImplemented", "Internal"]
