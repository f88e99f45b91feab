"""Analytics from Python: bars, as-of joins, pysystemtrade's volatility, forecasts and
correlations, and daily P&L, computed in C++ next to the data and stored back as
versioned datasets with lineage (docs/analytics.md).

    a = st.analytics
    a.bars("ticks/ES", "bars/1min", interval="1min")
    a.volatility("prices/adjusted", keys=["SOFR", "US10"])
    a.correlation_matrix("portfolio")            # the latest week, as a square DataFrame
    a.pnl(date="2024-03-08")                       # from the operational store's fills

Each run returns what it read and wrote (series_read, rows_written, version, seconds, ...);
a run on unchanged inputs writes nothing (version -1).
"""
from __future__ import annotations

import json
from typing import Iterable, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _systore
from ._errors import InvalidArgument, NotFound, translate
from .timeseries import Frame, _ns, _table, _to_arrow, _to_pandas

Interval = Union[str, pd.Timedelta]
_VOL_OPTIONS = ("column", "days", "min_periods", "slow_vol_years", "proportion_of_slow_vol", "vol_abs_min",
                "backfill")


def _keys(keys: Optional[Iterable[str]]) -> list:
    if keys is None:
        return []
    if isinstance(keys, str):
        return [keys]
    return [str(k) for k in keys]


def _interval(x: Optional[Interval]) -> str:
    if x is None:
        return ""
    if isinstance(x, pd.Timedelta):
        return f"{x.value}ns"
    return str(x)


def _tolerance(x) -> Optional[int]:
    if x is None:
        return None
    t = pd.Timedelta(x)
    if t < pd.Timedelta(0):
        raise InvalidArgument(f"tolerance must not be negative, got {x!r}")
    return int(t.value)


def _vol(options: dict) -> dict:
    bad = sorted(set(options) - set(_VOL_OPTIONS))
    if bad:
        raise InvalidArgument(f"unknown option(s) {', '.join(bad)}; known: {', '.join(_VOL_OPTIONS)}")
    return options


def compute_bars(ticks: Frame, interval: Interval = "1min", origin: Optional[Interval] = None) -> pd.DataFrame:
    """OHLCV bars (open, high, low, close, volume, count, vwap) of a frame of ticks (price,
    size) or bars, nothing stored: left-closed bins labelled by their left edge, aligned to
    UTC midnight (or `origin` after it); NaN prices skipped; empty bins give no row."""
    return _to_pandas(_table(translate(_systore.compute_bars)(_to_arrow(ticks).__arrow_c_stream__(),
                                                              _interval(interval), _interval(origin))))


def asof_join(left: Frame, right: Frame, tolerance=None, allow_exact_matches: bool = True,
              by: str = "") -> pd.DataFrame:
    """pandas merge_asof(direction="backward") of two frames sorted by time: each left row
    with the last right row at or before it (within `tolerance`; on equal `by`)."""
    out = translate(_systore.asof_join)(_to_arrow(left).__arrow_c_stream__(), _to_arrow(right).__arrow_c_stream__(),
                                        _tolerance(tolerance), bool(allow_exact_matches), by)
    return _to_pandas(_table(out))


class Analytics:
    """Computations over a store's datasets, stored back with lineage (`st.analytics`)."""

    def __init__(self, store):
        self._st = store
        self._a = _systore.Analytics(store.timeseries._store)

    @translate
    def bars(self, source: str, out: str, interval: Interval = "1min", keys: Optional[Iterable[str]] = None,
             origin: Optional[Interval] = None) -> dict:
        """Bars of every key of `source` (or `keys`) into `out`. Ticks stream one day
        partition at a time; a key that only grew by appends is extended, not rebuilt."""
        return self._a.bars(source, out, _keys(keys), _interval(interval), _interval(origin))

    @translate
    def volatility(self, source: str = "prices/adjusted", out: str = "analytics/volatility",
                   keys: Optional[Iterable[str]] = None, **options) -> dict:
        """pysystemtrade's daily returns volatility (mixed_vol_calc) per key. Options:
        column, days (35), min_periods (10), slow_vol_years (10), proportion_of_slow_vol
        (0.3), vol_abs_min (1e-10), backfill (False)."""
        return self._a.volatility(source, out, _keys(keys), json.dumps(_vol(options)))

    @translate
    def forecasts(self, source: str = "prices/adjusted", out: str = "analytics/forecasts",
                  keys: Optional[Iterable[str]] = None, rules: Optional[Sequence[Tuple[int, int]]] = None,
                  **options) -> dict:
        """Raw EWMAC forecasts per instrument and rule (keys "<instrument>/ewmacF_S", column
        forecast); rules: (fast, slow) pairs, default the chapter-15 system's six."""
        pairs = [(int(f), int(s)) for f, s in (rules or [])]
        return self._a.forecasts(source, out, _keys(keys), pairs, json.dumps(_vol(options)))

    @translate
    def correlations(self, source: str = "prices/adjusted", out: str = "analytics/correlations",
                     keys: Optional[Iterable[str]] = None, name: str = "portfolio",
                     volatility: Optional[dict] = None, **options) -> dict:
        """pysystemtrade's instrument correlation estimate, one row per week, one column per
        pair "A:B", in the series `name`. Options: ew_lookback (25), min_periods (20 weeks),
        cleaning (True), offdiag (0.99), floor_at_zero (True); `volatility`: a dict of the
        normalising vol's options (as volatility())."""
        known = ("ew_lookback", "min_periods", "cleaning", "offdiag", "floor_at_zero")
        bad = sorted(set(options) - set(known))
        if bad:
            raise InvalidArgument(f"unknown option(s) {', '.join(bad)}; known: {', '.join(known)}, volatility")
        if volatility is not None:
            options["volatility"] = _vol(dict(volatility))
        return self._a.correlations(source, out, _keys(keys), name, json.dumps(options))

    def correlation_matrix(self, name: str = "portfolio", date=None,
                           dataset: str = "analytics/correlations") -> pd.DataFrame:
        """The stored matrix for the last week at or before `date` (default: the latest) as a
        square DataFrame, instruments in the order they were computed."""
        ts = self._st.timeseries
        if date is None:
            row = ts.latest(dataset, name, 1)
        else:
            row = ts.read(dataset, name, end=pd.Timestamp(date)).tail(1)
        if len(row) == 0:
            raise NotFound(f"no correlations in '{dataset}' key '{name}' at or before {date}")
        names: list = []
        for pair in row.columns:
            for n in pair.split(":", 1):
                if n not in names:
                    names.append(n)
        m = pd.DataFrame(1.0, index=names, columns=names)
        for pair in row.columns:
            a, b = pair.split(":", 1)
            m.loc[a, b] = m.loc[b, a] = float(row[pair].iloc[0])
        m.attrs["week"] = row.index[0]
        return m

    @translate
    def pnl(self, date=None, out: str = "analytics/pnl", strategy: str = "", base_currency: str = "USD",
            prices: str = "prices/multiple", fx: str = "fx/spot") -> dict:
        """Daily mark-to-market P&L from the operational store's fills into `out`: series
        "<strategy>/<instrument>" (position, pnl_local, commission, fx, pnl) and "<strategy>"
        (pnl). `date`: compute up to that day (default: each instrument's last price)."""
        options = {"strategy": strategy, "base_currency": base_currency, "prices": prices, "fx": fx,
                   "until": 0 if date is None else _ns(pd.Timestamp(date))}
        return self._a.pnl(out, self._st.operational._store, self._st.reference._store, json.dumps(options))

    def asof(self, left_dataset: str, left_key: str, right_dataset: str, right_key: str, tolerance=None,
             allow_exact_matches: bool = True, by: str = "") -> pd.DataFrame:
        """The as-of join of two stored series (not stored), as merge_asof(direction="backward")."""
        out = translate(self._a.asof)(left_dataset, left_key, right_dataset, right_key, _tolerance(tolerance),
                                      bool(allow_exact_matches), by)
        return _to_pandas(_table(out))
