"""Reference data (instruments, roll parameters, spread costs, ...) from Python."""
from __future__ import annotations

import csv
import io

import pandas as pd

from . import _systore
from ._errors import translate


class Reference:
    """Versioned reference tables with a hash-chained change log (read side)."""

    @translate
    def __init__(self, root: str):
        self._store = _systore.ReferenceStore(str(root))

    @translate
    def tables(self) -> list:
        """Names of the reference tables, sorted."""
        return self._store.tables()

    def csv_text(self, table: str) -> str:
        """The table's current version as CSV text (header + rows, fields as stored)."""
        columns, rows = self._table(table)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return out.getvalue()

    def get_table(self, table: str) -> pd.DataFrame:
        """The table as a DataFrame, types inferred as pandas.read_csv would; raises
        systore.NotFound for an unknown table."""
        return pd.read_csv(io.StringIO(self.csv_text(table)))

    @translate
    def _table(self, table: str):
        return self._store.table(table)
