"""The operational store from Python: orders, fills, positions, process control."""
from __future__ import annotations

import json
from typing import Optional, Sequence

import pandas as pd

from . import _systore
from ._errors import translate

_TIME_FIELDS = ("created_at", "submitted_at", "first_fill_at", "last_fill_at", "filled_at", "cancelled_at",
                "rejected_at", "updated_at", "time", "last_start", "last_end")


def _frame(records: list, index: Optional[str] = None) -> pd.DataFrame:
    """Records as a DataFrame; *_at/time columns (ns, 0 = not yet) become UTC Timestamps/NaT."""
    df = pd.DataFrame.from_records(records)
    for c in df.columns:
        if c in _TIME_FIELDS:
            df[c] = pd.to_datetime(df[c].where(df[c] != 0), unit="ns")
    if index and index in df.columns:
        df = df.set_index(index)
    return df


class Operational:
    """Orders, fills, positions and process control, ACID in the operational store.

    The backend is the one <root>/systore.yaml configures (SQLite under the root by
    default; PostgreSQL or MongoDB at scale), or `uri` when given. Every mutation is one
    transaction with an audit record. Times are ns since the epoch (0 = now / not yet).

        op = st.operational
        oid = op.add_order("S1", "SOFR", 5, contract="20250300")
        op.apply_fill(oid, 2, 95.1, exec_id="X1")       # order, positions, trades, P&L at once
        op.positions()                                   # DataFrame
        op.reconcile()["ok"]
    """

    @translate
    def __init__(self, root: str, uri: str = "", actor: str = ""):
        self._store = _systore.OperationalStore(str(root), uri, actor)

    @property
    def backend(self) -> str:
        """"sqlite", "postgresql" or "mongodb"."""
        return self._store.backend()

    @translate
    def add_order(self, strategy: str, instrument: str, quantity: int, side: str = "buy", contract: str = "",
                  level: str = "strategy", type: str = "market", limit_price: Optional[float] = None,  # noqa: A002
                  parent_id: Optional[int] = None, attributes: Optional[dict] = None, created_at: int = 0) -> int:
        """Stores a new order (status created) and returns its id. side buy|sell; level
        strategy|contract|broker; type market|limit (limit needs limit_price). InvalidArgument
        names the bad field; NotFound for an unknown parent_id."""
        return self._store.add_order(strategy, instrument, contract, int(quantity), side, level, type, limit_price,
                                     parent_id, json.dumps(attributes or {}), int(created_at))

    @translate
    def submit_order(self, order_id: int) -> None:
        """created -> submitted."""
        self._store.transition(int(order_id), "submitted", "")

    @translate
    def cancel_order(self, order_id: int, reason: str = "") -> None:
        """Any open status -> cancelled (a partial fill is kept)."""
        self._store.transition(int(order_id), "cancelled", reason)

    @translate
    def reject_order(self, order_id: int, reason: str = "") -> None:
        """created/submitted -> rejected."""
        self._store.transition(int(order_id), "rejected", reason)

    @translate
    def apply_fill(self, order_id: int, quantity: int, price: float, exec_id: str, commission: float = 0.0,
                   time: int = 0) -> dict:
        """Applies a fill atomically: fill record, order status and average price, strategy and
        contract positions, trades ledger, daily P&L, parents. Returns {order,
        strategy_position, contract_position}. A re-reported exec_id raises AlreadyExists and
        changes nothing; an overfill raises InvalidArgument."""
        return self._store.apply_fill(int(order_id), int(quantity), float(price), float(commission), exec_id,
                                      int(time))

    @translate
    def get_order(self, order_id: int) -> dict:
        """One order as a dict; NotFound for an unknown id."""
        return self._store.get_order(int(order_id))

    @translate
    def orders(self, status: Optional[str] = None, strategy: Optional[str] = None,
               instrument: Optional[str] = None, open_only: bool = False, limit: int = 0) -> pd.DataFrame:
        """Orders in id order as a DataFrame indexed by id (filters are optional)."""
        return _frame(self._store.find_orders(status, strategy, instrument, open_only, int(limit)), "id")

    @translate
    def fills(self, order_id: int) -> pd.DataFrame:
        """The fills of an order."""
        return _frame(self._store.fills(int(order_id)))

    @translate
    def positions(self, strategy: str = "", instrument: str = "") -> pd.DataFrame:
        """Strategy positions (strategy, instrument, position, updated_at)."""
        return _frame(self._store.positions("strategy", strategy, instrument))

    @translate
    def contract_positions(self, instrument: str = "", contract: str = "") -> pd.DataFrame:
        """Contract positions across strategies (instrument, contract, position, updated_at)."""
        return _frame(self._store.positions("contract", instrument, contract))

    @translate
    def trades(self, strategy: str = "", instrument: str = "") -> pd.DataFrame:
        """The trades ledger (one row per applied fill, signed quantity)."""
        return _frame(self._store.trades(strategy, instrument))

    @translate
    def reconcile(self) -> dict:
        """Recomputes every position from the fills: {ok, positions_checked, differences}."""
        return self._store.reconcile()

    @translate
    def processes(self) -> pd.DataFrame:
        """Process control: one row per registered process."""
        return _frame(self._store.processes(""), "name")

    @translate
    def process(self, name: str) -> dict:
        """One process's state; NotFound when never registered."""
        return self._store.processes(name)

    @translate
    def set_process_control(self, name: str, control: str) -> None:
        """GO, NO-RUN, STOP or PAUSE (registers the process when new)."""
        self._store.process(name, "control", control, [], 0)

    @translate
    def set_process_dependencies(self, name: str, depends_on: Sequence[str]) -> None:
        """`name` may start only after each of `depends_on` finished on the same UTC day."""
        self._store.process(name, "depends", "", list(depends_on), 0)

    @translate
    def start_process(self, name: str, pid: int = 0) -> None:
        """Marks it running; Unavailable when its control is not GO, it already runs, or a
        dependency has not finished today (the message says which)."""
        import os
        self._store.process(name, "start", "", [], int(pid or os.getpid()))

    @translate
    def finish_process(self, name: str) -> None:
        """Marks it finished."""
        self._store.process(name, "finish", "", [], 0)

    @translate
    def mark_process_crashed(self, name: str) -> None:
        """Marks a running process dead without a clean finish."""
        self._store.process(name, "crashed", "", [], 0)

    @translate
    def audit_log(self, after_seq: int = 0, limit: int = 0) -> list:
        """Audit records (seq, time, actor, operation, entity, key, before, after), oldest first."""
        return self._store.audit_log(int(after_seq), int(limit))
