"""Reference data (instruments, roll parameters, spread costs, ...) from Python."""
from __future__ import annotations

import csv
import datetime
import getpass
import io
from typing import Mapping, Optional, Union

import pandas as pd

from . import _systore
from ._errors import InvalidArgument, translate

AsOf = Union[int, pd.Timestamp, datetime.datetime, str, None]


def _actor(actor: Optional[str]) -> str:
    if actor:
        return actor
    try:
        return "python:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "python:unknown"


class Reference:
    """Versioned reference tables with a hash-chained change log.

    Every change is one version with an actor and a required reason; reads can go back to
    any version or time (`as_of`), `history` lists who changed what, and `verify` checks
    the hash chain and the CSV files against the log.
    """

    @translate
    def __init__(self, root: str):
        self._store = _systore.ReferenceStore(str(root))

    @translate
    def tables(self) -> list:
        """Names of the reference tables, sorted."""
        return self._store.tables()

    @translate
    def version(self) -> int:
        """The current version (0: empty store)."""
        return self._store.version()

    def csv_text(self, table: str, as_of: AsOf = None) -> str:
        """The table (current, or at `as_of`) as CSV text (header + rows, fields as stored)."""
        columns, rows = self._table(table, as_of)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return out.getvalue()

    def get_table(self, table: str, as_of: AsOf = None) -> pd.DataFrame:
        """The table as a DataFrame, types inferred as pandas.read_csv would. as_of: a version
        number, or a time (str/Timestamp/datetime: the last version committed at or before
        it). Raises systore.NotFound for an unknown table or a time before the first version."""
        return pd.read_csv(io.StringIO(self.csv_text(table, as_of)))

    @translate
    def get(self, table: str, key: str, column: str) -> str:
        """One cell of the current version, as stored text; NotFound names the table, key or column."""
        return self._store.get(table, key, column)

    @translate
    def set(self, table: str, key: str, fields: Mapping[str, object], reason: str,
            actor: Optional[str] = None) -> int:
        """Sets fields of row `key` (adding the row when missing) as one new version, which it
        returns. The reason is required. Bad input (unknown column of a built-in table, a
        non-numeric value in a numeric column, ...) raises InvalidArgument naming it;
        nothing is written. A change that changes nothing returns the current version."""
        if not reason:
            raise InvalidArgument("a reference change needs a reason")
        pairs = [(str(c), "" if v is None else str(v)) for c, v in fields.items()]
        return self._store.set(table, key, pairs, _actor(actor), reason)

    @translate
    def delete_row(self, table: str, key: str, reason: str, actor: Optional[str] = None) -> int:
        """Removes row `key` as one new version; NotFound when absent."""
        return self._store.delete_row(table, key, _actor(actor), reason)

    @translate
    def import_table(self, table: str, csv_path: str, reason: str, actor: Optional[str] = None) -> int:
        """Replaces `table` by a CSV file's contents (validated) as one new version."""
        return self._store.import_table(table, str(csv_path), _actor(actor), reason)

    @translate
    def history(self, table: str = "", key: str = "") -> list:
        """Change-log entries touching `table` (all when ""), restricted to row `key` when
        given, oldest first: dicts with version, time (ns), actor, reason, operation, hash and
        tables (per table: summary and row changes with old/new field values)."""
        return self._store.history(table, key)

    @translate
    def verify(self) -> dict:
        """Checks the hash chain, versions and times, the recorded content hashes and the CSV
        files against the log; never modifies anything. Returns ok, entries, head_hash,
        first_bad_version, first_bad_line and problems."""
        return self._store.verify()

    @translate
    def _table(self, table: str, as_of: AsOf = None):
        if as_of is None:
            return self._store.table(table)
        if isinstance(as_of, bool):
            raise InvalidArgument("as_of must be a version number or a time")
        if isinstance(as_of, int):
            columns, rows, _ = self._store.table_as_of(table, as_of, None)
        else:
            t = pd.Timestamp(as_of)
            if t.tzinfo is not None:
                t = t.tz_convert("UTC").tz_localize(None)
            columns, rows, _ = self._store.table_as_of(table, None, t.value)
        return columns, rows
