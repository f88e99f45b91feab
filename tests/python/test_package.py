"""The Python package through its public API: round trips, versions, snapshots, errors."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import systore

AWKWARD = [0.1 + 0.2, 1e-300, -0.0, 5e-324, 1.7976931348623157e308, 2.0 / 3.0, np.nan]


def frame(n=7, start="2024-01-02 23:00:00", values=None):
    idx = pd.date_range(start, periods=n, freq="D") + pd.to_timedelta(np.arange(n), unit="ns")
    return pd.DataFrame({"price": values if values is not None else np.arange(n, dtype="float64")}, index=idx)


def test_round_trip_is_bit_exact_with_nanosecond_timestamps(tmp_path):
    ts = systore.open(tmp_path).timeseries
    df = frame(values=AWKWARD)
    res = ts.write("prices/adjusted", "SOFR", df)
    assert res["rows_added"] == len(df) and res["version"] >= 0
    back = ts.read("prices/adjusted", "SOFR")
    assert back.index.name == "DATETIME" and back.index.dtype == "datetime64[ns]"
    assert (back.index.asi8 == df.index.asi8).all()
    assert back["price"].dtype == np.float64
    assert back["price"].to_numpy().tobytes() == df["price"].to_numpy().tobytes()
    table = ts.read_arrow("prices/adjusted", "SOFR")
    assert isinstance(table, pa.Table) and table.column_names == ["ts", "price"]


def test_versions_as_of_and_snapshots(tmp_path):
    ts = systore.open(tmp_path).timeseries
    v0 = ts.write("fx/spot", "GBPUSD", frame(3))["version"]
    ts.snapshot("eod-1")
    r = ts.merge("fx/spot", "GBPUSD", frame(5), mode="newer")
    assert r["rows_added"] == 2
    assert len(ts.read("fx/spot", "GBPUSD")) == 5
    assert len(ts.read("fx/spot", "GBPUSD", as_of=v0)) == 3
    assert len(ts.read("fx/spot", "GBPUSD", as_of="eod-1")) == 3
    ops = [v["operation"] for v in ts.versions("fx/spot", "GBPUSD")]
    assert ops[-1] == "MERGE"
    assert len(ts.latest("fx/spot", "GBPUSD", n=2)) == 2
    part = ts.read("fx/spot", "GBPUSD", start="2024-01-03", end="2024-01-04 23:59")
    assert len(part) == 2
    assert ts.list_datasets() == ["fx/spot"] and ts.list_keys("fx/spot", prefix="GB") == ["GBPUSD"]


def test_read_many_and_append(tmp_path):
    ts = systore.open(tmp_path).timeseries
    for k in ("A", "B", "C"):
        ts.write("prices/adjusted", k, frame(4))
    many = ts.read_many("prices/adjusted", ["C", "A"])
    assert list(many) == ["C", "A"] and all(len(f) == 4 for f in many.values())
    ts.append("prices/adjusted", "A", frame(1, start="2025-01-01"))
    assert len(ts.read("prices/adjusted", "A")) == 5


def test_errors_are_typed_and_carry_the_store_message(tmp_path):
    ts = systore.open(tmp_path).timeseries
    ts.write("prices/adjusted", "SOFR", frame(3))
    with pytest.raises(systore.NotFound) as e:
        ts.read("prices/adjusted", "NOPE")
    assert "NOPE" in str(e.value) and isinstance(e.value, systore.Error)
    with pytest.raises(systore.InvalidArgument) as e:
        ts.append("prices/adjusted", "SOFR", frame(1))  # not after the last stored row
    assert "SOFR" in str(e.value) or "after" in str(e.value)
    with pytest.raises(systore.InvalidArgument, match="DatetimeIndex"):
        ts.write("prices/adjusted", "X", pd.DataFrame({"price": [1.0]}))
    with pytest.raises(systore.InvalidArgument, match="merge mode"):
        ts.merge("prices/adjusted", "SOFR", frame(3), mode="sideways")


def test_reference_tables(tmp_path, run):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "spreadcosts.csv").write_text("Instrument,SpreadCost\nSOFR,0.005\nUS10,0.0078125\n")
    run.root.mkdir(parents=True, exist_ok=True)
    run("ref", "import", str(cfg), "--reason", "test")
    ref = systore.open(run.root).reference
    assert "spread_costs" in ref.tables()
    df = ref.get_table("spread_costs")
    assert df.set_index("Instrument")["SpreadCost"].to_dict() == {"SOFR": 0.005, "US10": 0.0078125}
    with pytest.raises(systore.NotFound):
        ref.get_table("nope")


def test_to_duckdb_sees_exactly_the_chosen_version(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    ts = systore.open(tmp_path).timeseries
    ts.write("prices/adjusted", "A", frame(4))
    ts.write("prices/adjusted", "B", frame(6))
    v_both = ts.versions("prices/adjusted")[-1]["version"]
    ts.delete("prices/adjusted", "B")
    con = duckdb.connect()
    view = ts.to_duckdb(con, "prices/adjusted")
    assert view == "prices_adjusted"
    rows = con.sql("select key, count(*), max(price) from prices_adjusted group by key order by key").fetchall()
    assert rows == [("A", 4, 3.0)]  # B's files were removed by the delete
    ts.to_duckdb(con, "prices/adjusted", as_of=v_both, name="before")
    got = dict(con.sql("select key, count(*) from before group by key").fetchall())
    assert got == {"A": 4, "B": 6}
    want = ts.read("prices/adjusted", "A")
    dd = con.sql("select ts, price from prices_adjusted where key = 'A' order by ts").df()
    assert (dd["price"].to_numpy() == want["price"].to_numpy()).all()
    with pytest.raises(systore.NotFound):
        ts.to_duckdb(con, "prices/none")


def test_help_teaches_and_the_stub_matches_the_extension(tmp_path):
    import pathlib
    import subprocess
    import sys

    doc = systore.TimeSeries.read.__doc__
    for word in ("as_of", "snapshot", "DATETIME", "NotFound", "Example"):
        assert word in doc
    pkg = pathlib.Path(systore.__file__).parent
    committed = pkg / "_systore.pyi"
    assert committed.exists() and (pkg / "py.typed").exists()
    out = tmp_path / "_systore.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "systore._systore", "-o", str(out)],
                   check=True, env={**__import__("os").environ, "PYTHONPATH": str(pkg.parent)})
    assert out.read_text() == committed.read_text(), "regenerate python/systore/_systore.pyi (see docs/python.md)"


def test_frames_match_pyarrow_conversion_and_arrow_reads(tmp_path):
    # Frames are built from numpy directly (systore._frames), not Table.to_pandas: the same
    # frame as pyarrow's conversion for numbers, nulls, text and several chunks; writable.
    from systore._frames import to_pandas

    ts = pa.array(np.arange(6, dtype="int64") * 86_400 * 10**9, pa.timestamp("ns", "UTC"))
    t = pa.table({"ts": ts, "PRICE": pa.array([1.5, None, 3.0, 4.0, 5.0, 6.0]),
                  "PRICE_CONTRACT": pa.array(["20240300", "20240300", None, "x", "y", "z"]),
                  "VOLUME": pa.array([1, 2, None, 4, 5, 6], pa.int64())})
    want = t.drop_columns(["ts"]).to_pandas()
    want.index = pd.DatetimeIndex(ts.cast(pa.int64()).to_numpy().view("datetime64[ns]"), name="DATETIME")
    for table in (t, pa.concat_tables([t.slice(0, 2), t.slice(2)])):
        got = to_pandas(table)
        pd.testing.assert_frame_equal(got, want)
        got.iloc[0, 0] = 9.0  # owns its memory
        assert t.column("PRICE")[0].as_py() == 1.5
    empty = to_pandas(t.slice(0, 0))
    assert list(empty.columns) == ["PRICE", "PRICE_CONTRACT", "VOLUME"] and len(empty) == 0

    st = systore.open(str(tmp_path / "s"))
    st.timeseries.write("prices/adjusted", "A", want[["PRICE"]].fillna(2.0))
    arrow = st.timeseries.latest_arrow("prices/adjusted", "A", n=2)
    assert isinstance(arrow, pa.Table) and arrow.column("PRICE").to_pylist() == [5.0, 6.0]
    many = st.timeseries.read_many_arrow("prices/adjusted", ["A"])
    assert many["A"].num_rows == 6
    pd.testing.assert_frame_equal(st.timeseries.latest("prices/adjusted", "A", n=2), to_pandas(arrow))
