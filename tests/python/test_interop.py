"""Our tables are readable by other engines (pyarrow.dataset, deltalake) with exactly the
rows we wrote, and the CLI's CSV output parses back to the same doubles."""
import math
import struct

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pytest
from deltalake import DeltaTable

from conftest import SHARED_DATA


def write_csv(path, header, rows):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))


def bits(x):
    return struct.pack("<d", x)


@pytest.fixture
def prices(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    rows = {
        "SOFR": [("2023-12-28 23:00:00", 95.125), ("2024-01-02 23:00:00", 95.13), ("2024-01-03 23:00:00", 0.1 + 0.2)],
        "GBPUSD": [("2024-01-02 23:00:00", 1.27401), ("2024-01-03 23:00:00.000001", 1.26999)],
    }
    for key, r in rows.items():
        write_csv(d / f"{key}.csv", "DATETIME,price", r)
    return d, rows


def test_pyarrow_and_deltalake_read_exactly_our_rows(run, prices):
    d, rows = prices
    run("ts", "import", "prices/adjusted", str(d), "--key-from-filename")
    table_dir = run.root / "prices" / "adjusted"

    # pyarrow.dataset, Hive partitioning straight off the directory tree.
    t = pads.dataset(str(table_dir), format="parquet", partitioning="hive", ignore_prefixes=["_", "."]).to_table()
    ts_ns = t.column("ts").cast(pa.int64()).to_pylist()
    got = sorted(zip(t.column("key").to_pylist(), ts_ns, t.column("price").to_pylist()))
    want = sorted((k, pd.Timestamp(ts).value, p) for k, rs in rows.items() for ts, p in rs)
    assert len(got) == 5
    assert [(k, ts) for k, ts, _ in got] == [(k, ts) for k, ts, _ in want]
    assert [bits(p) for _, _, p in got] == [bits(p) for _, _, p in want]

    # deltalake: Delta has microsecond timestamps, so compare at that precision.
    dt = DeltaTable(str(table_dir))
    assert dt.version() == 1  # version 0 created the dataset
    dl = dt.to_pyarrow_table().to_pylist()
    assert sorted((r["key"], r["price"]) for r in dl) == sorted((k, p) for k, _, p in want)
    assert len(dl) == 5


def test_pyarrow_keeps_nanoseconds(run, tmp_path):
    # Delta Lake timestamps are microseconds, so deltalake cannot read sub-microsecond
    # rows; pyarrow reads our Parquet files with nanoseconds intact.
    f = tmp_path / "T.csv"
    write_csv(f, "DATETIME,price", [("2024-01-03 10:00:00.000000001", 1.5), ("2024-01-03 10:00:00.000000002", 1.25)])
    run("ts", "import", "ticks/es", str(f), "--key", "ES", "--kind", "generic")
    t = pads.dataset(str(run.root / "ticks" / "es"), format="parquet", partitioning="hive", ignore_prefixes=["_"]).to_table()
    assert t.column("ts").cast(pa.int64()).to_pylist() == [pd.Timestamp("2024-01-03 10:00:00").value + 1,
                                                           pd.Timestamp("2024-01-03 10:00:00").value + 2]


def test_after_merges_the_delta_log_names_the_live_files(run, prices, tmp_path):
    d, rows = prices
    run("ts", "import", "prices/adjusted", str(d), "--key-from-filename")
    upd = tmp_path / "upd"
    upd.mkdir()
    write_csv(upd / "SOFR.csv", "DATETIME,price", [("2024-01-03 23:00:00", 0.1 + 0.2), ("2024-01-04 23:00:00", 95.2)])
    out = run("ts", "import", "prices/adjusted", str(upd), "--key-from-filename", "--mode", "merge").stdout
    assert "1 added, 1 already stored" in out
    dt = DeltaTable(str(run.root / "prices" / "adjusted"))
    assert dt.version() == 2
    live = pads.dataset([u.removeprefix("file://") for u in dt.file_uris()], format="parquet").to_table()
    assert live.num_rows == 6
    sofr = sorted(r["price"] for r in dt.to_pyarrow_table().to_pylist() if r["key"] == "SOFR")
    assert sofr == sorted([95.125, 95.13, 0.1 + 0.2, 95.2])


def test_csv_output_round_trips_and_errors_name_the_line(run, prices, tmp_path):
    d, rows = prices
    run("ts", "import", "prices/adjusted", str(d), "--key-from-filename")
    out = run("ts", "read", "prices/adjusted", "SOFR").stdout.splitlines()
    assert out[0] == "DATETIME,price"
    assert [float(l.split(",")[1]) for l in out[1:]] == [p for _, p in rows["SOFR"]]
    assert out[3].endswith(",0.30000000000000004")

    bad = tmp_path / "bad"
    bad.mkdir()
    write_csv(bad / "SOFR.csv", "DATETIME,price", [("2024-02-01", 95.25), ("2024-02-02", "x1")])
    # ts import goes through the quality gate: the bad line is kept out (named, with its
    # text, in the quarantine), the good one is stored.
    p = run("ts", "import", "prices/adjusted", str(bad), "--key-from-filename", "--mode", "merge")
    assert "1 added" in p.stdout and "SOFR.csv:3: column price: 'x1' is not a number" in p.stdout
    assert run("ts", "read", "prices/adjusted", "SOFR").stdout.splitlines() == out + ["2024-02-01 00:00:00,95.25"]
    assert "2024-02-02,x1" in run("quality", "quarantine", "show", "1").stdout

    missing = run("ts", "import", "prices/adjusted", str(tmp_path / "nope.csv"), "--key", "X", check=False)
    assert missing.returncode != 0 and "nope.csv': No such file or directory" in missing.stderr


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data not present")
def test_real_pysystemtrade_folder_imports_and_reads_back(run):
    run("ts", "import", "prices/adjusted", str(SHARED_DATA / "adjusted_prices_csv"), "--key-from-filename")
    again = run("ts", "import", "prices/adjusted", str(SHARED_DATA / "adjusted_prices_csv"), "--key-from-filename",
                "--mode", "merge").stdout
    assert " 0 added" in again and "version unchanged" in again
    fx = run("ts", "import", "fx/spot", str(SHARED_DATA / "fx_prices_csv"), "--key-from-filename", "--duplicates", "keep-last").stdout
    assert "imported" in fx
    dt = DeltaTable(str(run.root / "prices" / "adjusted"))
    n_csv = sum(len(p.read_text().splitlines()) - 1 for p in (SHARED_DATA / "adjusted_prices_csv").glob("*.csv"))
    assert dt.to_pyarrow_table().num_rows == n_csv
