"""Data quality from Python: check frames or stored series, and decide about the quarantine."""
from __future__ import annotations

from typing import Optional

import pandas as pd

from . import _systore
from ._errors import translate
from .reference import _actor
from .timeseries import Frame, _table, _to_arrow, _to_pandas


def findings_frame(findings: list) -> pd.DataFrame:
    """Findings (dicts from check/ingest/quarantine) as a DataFrame, one row per finding."""
    cols = ["severity", "rule", "dataset", "key", "row", "source", "message"]
    if not findings:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame.from_records(findings)


class Quarantine:
    """Rows the quality gate kept out of the store, and the humans' decisions about them."""

    def __init__(self, gate):
        self._gate = gate

    @translate
    def list(self, status: str = "") -> list:  # noqa: A003 - reads as quarantine.list()
        """Entries, oldest first (status: "", "pending", "released" or "dropped"): dicts with id,
        status, scope, dataset, key, source, created (ns), rows, reason, findings."""
        return self._gate.list(status)

    @translate
    def show(self, entry_id: int) -> dict:
        """One entry with its findings and unparsable source lines; NotFound for an unknown id."""
        return self._gate.get(int(entry_id))

    @translate
    def rows(self, entry_id: int) -> pd.DataFrame:
        """The kept rows (DatetimeIndex, value columns and _row: the row in the batch)."""
        return _to_pandas(_table(self._gate.rows(int(entry_id))))

    @translate
    def release(self, entry_id: int, mode: str = "fill_gaps", actor: Optional[str] = None) -> dict:
        """Writes a pending entry's rows into the store, unvalidated (the human decided):
        mode fill_gaps keeps stored rows, overwrite replaces them. Conflict when not pending."""
        return self._gate.release(int(entry_id), _actor(actor), mode)

    @translate
    def drop(self, entry_id: int, reason: str, actor: Optional[str] = None) -> None:
        """Marks a pending entry dropped (its files stay); the reason is required."""
        self._gate.drop(int(entry_id), _actor(actor), reason)

    @translate
    def audit(self) -> list:
        """The decision trail (time, actor, action, id, reason, rows_written), oldest first."""
        return self._gate.audit()


class Quality:
    """The quality gate of a store: the validators and policies of <root>/quality.json.

        st.quality.check("fx/spot", "GBPUSD", new_rows)   # would these rows be accepted?
        st.quality.check("fx/spot", "GBPUSD")             # findings on the stored series
        st.quality.quarantine.list("pending")
    """

    @translate
    def __init__(self, timeseries):
        self._gate = _systore.Quality(timeseries._store)
        self.quarantine = Quarantine(self._gate)

    @translate
    def check(self, dataset: str, key: str, data: Optional[Frame] = None) -> dict:
        """With `data`: validates it as the next rows of the series (the stored tail is the
        seam) and decides as an ingest would, writing nothing: {decision (accepted, partial,
        rejected), rows, rows_accepted, rows_quarantined, quarantined_rows, reason, findings}.
        Without: runs the validators over the stored series: {rows, findings}."""
        stream = None if data is None else _to_arrow(data).__arrow_c_stream__()
        return self._gate.check(dataset, key, stream)
