"""The package's other surfaces: validated ingest, quality and quarantine, operational store,
reference data writes/history/as_of/verify, time-series extras (delete_range, as_of time)."""
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import systore


def walk(n=300, start="2024-01-01", seed=1):
    idx = pd.date_range(start, periods=n, freq="B") + pd.Timedelta(hours=23)
    p = 100 + np.cumsum(np.random.default_rng(seed).normal(0, 0.5, n))
    return pd.DataFrame({"price": p}, index=idx)


def next_days(df, prices):
    last = df.index[-1]
    idx = pd.DatetimeIndex([last + pd.Timedelta(days=3 + i) for i in range(len(prices))])
    return pd.DataFrame({"price": prices}, index=idx)


def test_ingest_goes_through_the_gate_and_quarantine_decisions_round_trip(tmp_path):
    st = systore.open(tmp_path)
    ts = st.timeseries
    hist = walk()
    first = ts.ingest("prices/adjusted", {"X": hist, "Y": walk(seed=2)})
    assert first["rows_added"] == 600 and first["rows_quarantined"] == 0 and first["version"] >= 0
    last = hist["price"].iloc[-1]
    nxt = next_days(hist, [last * 40, last + 0.1])

    # check: decides without writing.
    c = st.quality.check("prices/adjusted", "X", nxt)
    assert c["decision"] == "partial" and c["rows_quarantined"] == 1 and c["quarantined_rows"] == [0]
    assert any(f["rule"] == "spike" for f in c["findings"])
    assert len(ts.read("prices/adjusted", "X")) == 300
    assert st.quality.quarantine.list() == []

    r = ts.ingest("prices/adjusted", {"X": nxt}, source="feed")
    assert (r["rows_added"], r["rows_quarantined"]) == (1, 1)
    spike = [f for f in r["serious_findings"] if f["rule"] == "spike"]
    assert spike and spike[0]["source"] == "feed:X:1"
    assert len(ts.read("prices/adjusted", "X")) == 301
    # Re-running the same ingest adds and quarantines nothing.
    again = ts.ingest("prices/adjusted", {"X": nxt}, source="feed")
    assert (again["rows_added"], again["rows_quarantined"]) == (0, 0)

    entries = st.quality.quarantine.list("pending")
    assert len(entries) == 1 and entries[0]["key"] == "X" and entries[0]["rows"] == 1
    shown = st.quality.quarantine.show(entries[0]["id"])
    assert shown["findings"] and shown["dataset"] == "prices/adjusted"
    rows = st.quality.quarantine.rows(entries[0]["id"])
    assert rows["price"].iloc[0] == last * 40 and rows.index[0] == nxt.index[0]
    rel = st.quality.quarantine.release(entries[0]["id"], actor="test")
    assert rel["rows_added"] == 1
    stored = ts.read("prices/adjusted", "X")
    assert stored.loc[nxt.index[0], "price"] == last * 40
    with pytest.raises(systore.Conflict):
        st.quality.quarantine.release(entries[0]["id"])
    with pytest.raises(systore.NotFound):
        st.quality.quarantine.show(999)
    actions = [d["action"] for d in st.quality.quarantine.audit()]
    assert actions == ["quarantine", "release"]

    # Findings on the stored series (the released spike is now in it).
    stored_check = st.quality.check("prices/adjusted", "X")
    assert stored_check["rows"] == 302 and any(f["rule"] == "spike" for f in stored_check["findings"])


def test_quarantine_drop_needs_a_reason(tmp_path):
    st = systore.open(tmp_path)
    hist = walk()
    st.timeseries.ingest("fx/spot", {"GBPUSD": hist})
    st.timeseries.ingest("fx/spot", {"GBPUSD": next_days(hist, [hist["price"].iloc[-1] * 50])})
    (entry,) = st.quality.quarantine.list("pending")
    with pytest.raises(systore.InvalidArgument):
        st.quality.quarantine.drop(entry["id"], reason="")
    st.quality.quarantine.drop(entry["id"], reason="bad tick")
    assert st.quality.quarantine.list("dropped")[0]["id"] == entry["id"]
    assert len(st.timeseries.read("fx/spot", "GBPUSD")) == 300


def test_ingest_rejects_bad_input_with_clear_errors(tmp_path):
    ts = systore.open(tmp_path).timeseries
    with pytest.raises(systore.InvalidArgument, match="mapping"):
        ts.ingest("prices/adjusted", {})
    with pytest.raises(systore.InvalidArgument, match="DatetimeIndex"):
        ts.ingest("prices/adjusted", {"X": pd.DataFrame({"price": [1.0]})})


def test_operational_orders_fills_positions_processes(tmp_path):
    st = systore.open(tmp_path, actor="pytest")
    op = st.operational
    assert op.backend == "sqlite"
    assert (tmp_path / "operational" / "ops.sqlite").exists()
    oid = op.add_order("S1", "SOFR", 5, contract="20250300")
    op.submit_order(oid)
    r = op.apply_fill(oid, 2, 95.1, exec_id="X1", commission=1.5)
    assert r["order"]["status"] == "partially_filled" and r["strategy_position"] == 2
    r = op.apply_fill(oid, 3, 95.3, exec_id="X2")
    assert r["order"]["status"] == "filled"
    assert r["order"]["average_fill_price"] == pytest.approx((2 * 95.1 + 3 * 95.3) / 5)
    with pytest.raises(systore.AlreadyExists):
        op.apply_fill(oid, 1, 95.0, exec_id="X1")
    with pytest.raises(systore.InvalidArgument):  # a filled order takes no more fills
        op.apply_fill(oid, 1, 95.0, exec_id="X3")
    with pytest.raises(systore.InvalidArgument, match="quantity"):
        op.add_order("S1", "SOFR", 0)
    with pytest.raises(systore.NotFound):
        op.get_order(12345)
    sell = op.add_order("S1", "SOFR", 1, side="sell", contract="20250300", type="limit", limit_price=96.0)
    op.apply_fill(sell, 1, 96.0, exec_id="X4")
    pos = op.positions()
    assert pos.set_index(["strategy", "instrument"]).loc[("S1", "SOFR"), "position"] == 4
    cpos = op.contract_positions("SOFR")
    assert cpos.set_index("contract").loc["20250300", "position"] == 4
    orders = op.orders(strategy="S1")
    assert list(orders.index) == [oid, sell] and orders.loc[oid, "status"] == "filled"
    assert isinstance(orders.loc[oid, "created_at"], pd.Timestamp)
    assert len(op.fills(oid)) == 2 and len(op.trades("S1")) == 3
    rec = op.reconcile()
    assert rec["ok"] and rec["positions_checked"] >= 2
    log = op.audit_log()
    assert any(a["operation"] == "order.fill" for a in log) and all(a["actor"] == "pytest" for a in log)
    canc = op.add_order("S1", "SOFR", 2)
    op.cancel_order(canc, reason="test")
    assert op.get_order(canc)["status"] == "cancelled"

    op.set_process_dependencies("run_systems", ["run_daily_prices"])
    with pytest.raises(systore.Unavailable, match="run_daily_prices"):
        op.start_process("run_systems")
    op.start_process("run_daily_prices")
    op.finish_process("run_daily_prices")
    op.start_process("run_systems")
    assert op.process("run_systems")["running"] is True
    op.set_process_control("run_systems", "STOP")
    assert op.processes().loc["run_systems", "control"] == "STOP"
    with pytest.raises(systore.InvalidArgument):
        op.set_process_control("run_systems", "MAYBE")


def test_operational_uri_override_and_another_process_sees_commits(tmp_path):
    uri = f"sqlite://{tmp_path}/other.sqlite"
    op = systore.open(tmp_path / "root", ops_uri=uri).operational
    oid = op.add_order("S2", "US10", 3)
    op.apply_fill(oid, 3, 110.0, exec_id="E1")
    code = ("import systore,sys; op=systore.open(sys.argv[1], ops_uri=sys.argv[2]).operational; "
            "print(int(op.positions('S2')['position'].iloc[0]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "root"), uri], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


def test_reference_set_history_as_of_verify(tmp_path):
    ref = systore.open(tmp_path).reference
    assert ref.version() == 0
    v1 = ref.set("spread_costs", "SOFR", {"SpreadCost": 0.0025}, reason="initial", actor="alice")
    t_between = pd.Timestamp.now(tz="UTC")
    time.sleep(0.01)
    v2 = ref.set("spread_costs", "SOFR", {"SpreadCost": 0.003}, reason="wider after review", actor="bob")
    assert v2 == v1 + 1 == ref.version()
    assert ref.get("spread_costs", "SOFR", "SpreadCost") == "0.003"
    assert ref.get_table("spread_costs", as_of=v1).set_index("Instrument").loc["SOFR", "SpreadCost"] == 0.0025
    assert ref.get_table("spread_costs", as_of=t_between).set_index("Instrument").loc["SOFR", "SpreadCost"] == 0.0025
    with pytest.raises(systore.NotFound):
        ref.get_table("spread_costs", as_of="2000-01-01")
    # No-op change: no new version.
    assert ref.set("spread_costs", "SOFR", {"SpreadCost": 0.003}, reason="same") == v2
    with pytest.raises(systore.InvalidArgument):
        ref.set("spread_costs", "SOFR", {"SpreadCost": 0.004}, reason="")
    with pytest.raises(systore.InvalidArgument):
        ref.set("spread_costs", "SOFR", {"SpreadCost": "wide"}, reason="not a number")
    hist = ref.history("spread_costs", "SOFR")
    assert [h["actor"] for h in hist] == ["alice", "bob"] and hist[1]["reason"] == "wider after review"
    field = hist[1]["tables"][0]["rows"][0]["fields"][0]
    assert (field["column"], field["old"], field["new"]) == ("SpreadCost", "0.0025", "0.003")
    rep = ref.verify()
    assert rep["ok"] and rep["entries"] == 2 and rep["head_hash"] == hist[-1]["hash"]
    v3 = ref.delete_row("spread_costs", "SOFR", reason="delisted")
    assert v3 == v2 + 1
    with pytest.raises(systore.NotFound):
        ref.get("spread_costs", "SOFR", "SpreadCost")
    # A hand edit of the CSV shows up in verify.
    csv = tmp_path / "reference" / "spread_costs.csv"
    csv.write_text(csv.read_text() + "ZZZ,1\n")
    assert not ref.verify()["ok"]


def test_timeseries_delete_range_snapshots_compact_and_as_of_time(tmp_path):
    ts = systore.open(tmp_path).timeseries
    df = walk(20)
    ts.write("prices/adjusted", "X", df)
    t_mid = pd.Timestamp.now(tz="UTC")
    time.sleep(0.01)
    r = ts.delete_range("prices/adjusted", "X", df.index[5], df.index[9])
    assert r["rows_removed"] == 5
    assert len(ts.read("prices/adjusted", "X")) == 15
    assert len(ts.read("prices/adjusted", "X", as_of=t_mid)) == 20
    with pytest.raises(systore.NotFound):
        ts.read("prices/adjusted", "X", as_of=pd.Timestamp("2000-01-01"))
    with pytest.raises(systore.InvalidArgument):
        ts.delete_range("prices/adjusted", "X", None, df.index[3])
    ts.snapshot("s1")
    with pytest.raises(systore.AlreadyExists):
        ts.snapshot("s1")
    (snap,) = ts.list_snapshots()
    assert snap["name"] == "s1" and "prices/adjusted" in snap["versions"]
    ts.merge("prices/adjusted", "X", df, mode="fill_gaps")
    before = ts.read("prices/adjusted", "X")
    assert len(before) == 20
    ts.compact("prices/adjusted")
    pd.testing.assert_frame_equal(ts.read("prices/adjusted", "X"), before)
    assert len(ts.read("prices/adjusted", "X", as_of="s1")) == 15
    ts.delete_snapshot("s1")
    assert ts.list_snapshots() == []


def test_one_store_handle_per_root_per_process(tmp_path):
    a = systore.open(tmp_path)
    b = systore.open(str(tmp_path) + "/")
    a.timeseries.append("prices/live", "X", walk(3))
    b.timeseries.append("prices/live", "X", walk(2, start="2030-01-01"))  # same writer: no lock conflict
    assert len(a.timeseries.read("prices/live", "X")) == 5
