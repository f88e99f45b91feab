"""The systore command line, end to end on a temporary store root."""
import json

from test_interop import write_csv


def test_cli_versions_snapshot_latest_delete_and_vacuum(run, tmp_path):
    f = tmp_path / "ES.csv"
    write_csv(f, "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME",
              [(f"2024-01-0{d} 23:00:00", 10 + d, 11 + d, 9 + d, 10.5 + d, 100 * d) for d in range(1, 6)])
    out = run("ts", "import", "prices/contract_daily", str(f), "--key", "ES/20240300").stdout
    assert "5 added" in out
    # OHLCV exports with the header it was imported with.
    csv = run("ts", "read", "prices/contract_daily", "ES/20240300").stdout.splitlines()
    assert csv[0] == "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME"
    assert csv[1] == "2024-01-01 23:00:00,11,12,10,11.5,100"

    run("ts", "snapshot", "create", "before-delete")
    assert "removed 2 rows" in run("ts", "delete", "prices/contract_daily", "ES/20240300",
                                   "--start", "2024-01-04", "--end", "2024-01-05 23:59:59").stdout
    latest = json.loads(run("ts", "latest", "prices/contract_daily", "ES/20240300", "-n", "1", "--format", "json").stdout)
    assert latest == [{"ts": "2024-01-03 23:00:00", "OPEN": 13.0, "HIGH": 14.0, "LOW": 12.0, "CLOSE": 13.5, "VOLUME": 300.0}]
    at_snap = run("ts", "read", "prices/contract_daily", "ES/20240300", "--snapshot", "before-delete").stdout
    assert len(at_snap.splitlines()) == 6
    versions = run("ts", "versions", "prices/contract_daily", "ES/20240300").stdout
    assert "WRITE" in versions and "DELETE_RANGE" in versions
    assert "ES/20240300" in run("ts", "list", "prices/contract_daily").stdout

    vac = run("ts", "vacuum", "prices/contract_daily", "--retention-hours", "0", "--dry-run").stdout
    assert "would delete 0 files" in vac  # the snapshot pins the old file
    run("ts", "snapshot", "delete", "before-delete")
    assert "would delete 1 files" in run("ts", "vacuum", "prices/contract_daily", "--retention-hours", "0", "--dry-run").stdout


def test_cli_import_keeps_bad_input_out_with_location(run, tmp_path):
    # ts import goes through the quality gate like ingest: what is wrong is kept out of
    # the store (quarantined, named by file and line), the rest is stored.
    good = tmp_path / "A.csv"
    write_csv(good, "DATETIME,price", [("2024-01-01", 1), ("2024-01-02", 2)])
    run("ts", "import", "fx/spot", str(good), "--key", "A")

    cases = {
        "order": ("DATETIME,price", [("2024-01-05", 1), ("2024-01-04", 2)], "order.csv:3"),
        "dup": ("DATETIME,price", [("2024-01-06", 1), ("2024-01-06", 2)], "1 quarantined"),
        "cols": ("DATETIME,px", [("2024-01-07", 1)], "missing column 'price'"),
        "when": ("DATETIME,price", [("2024-01-08 25:00:00", 1)], "when.csv:2: column DATETIME: bad timestamp"),
    }
    for name, (header, rows, message) in cases.items():
        bad = tmp_path / f"{name}.csv"
        write_csv(bad, header, rows)
        p = run("ts", "import", "fx/spot", str(bad), "--key", "A", "--mode", "merge")
        assert message in p.stdout, (name, p.stdout)
        assert "see: systore quality quarantine list" in p.stdout, name
    # Kept: the in-order row, the last of the repeated timestamp (keep-last); nothing else.
    assert run("ts", "read", "fx/spot", "A").stdout.splitlines()[1:] == [
        "2024-01-01 00:00:00,1", "2024-01-02 00:00:00,2", "2024-01-05 00:00:00,1", "2024-01-06 00:00:00,2"]
    assert len(run("quality", "quarantine", "list").stdout.splitlines()) == 1 + 4

    # --duplicates overrides quality.json: error keeps both repeated rows out.
    dup = tmp_path / "dup2.csv"
    write_csv(dup, "DATETIME,price", [("2024-01-09", 1), ("2024-01-09", 2)])
    out = run("ts", "import", "fx/spot", str(dup), "--key", "A", "--mode", "merge", "--duplicates", "error").stdout
    assert "0 added" in out and "2 quarantined" in out
    # --no-validate (a trusted restore) is said in the summary; repeated timestamps are
    # still resolved, a 100x move is stored.
    jump = tmp_path / "jump.csv"
    write_csv(jump, "DATETIME,price", [("2024-01-10", 200)])
    out = run("ts", "import", "fx/spot", str(jump), "--key", "A", "--mode", "merge", "--no-validate").stdout
    assert "validation off" in out and "1 added" in out

    assert run("ts", "read", "fx/spot", "NOPE", check=False).returncode == 1
    assert run("ts", "import", check=False).returncode != 0  # usage error
    missing = run("ts", "import", "fx/spot", str(tmp_path / "nope.csv"), "--key", "A", check=False)
    assert missing.returncode == 1 and "nope.csv" in missing.stderr
    help_text = run("ts", "import", "--help").stdout
    assert "--key-from-filename" in help_text and "one commit" in help_text and "quality gate" in help_text


def test_cli_ticks_keep_repeated_timestamps(run, tmp_path):
    """Several trades in one millisecond, two identical: a tick dataset stores them all, in
    file order, and a later file may continue at the last stored time (appended)."""
    header = "DATETIME,price,size"
    first = tmp_path / "t1.csv"
    write_csv(first, header, [("2024-03-04 14:30:00.001", "100.25,1"), ("2024-03-04 14:30:00.002", "100.5,2"),
                              ("2024-03-04 14:30:00.002", "100.5,2"), ("2024-03-04 14:30:00.002", "100.75,1")])
    out = run("ts", "import", "ticks/ES", str(first), "--key", "ESH4").stdout
    assert "4 added" in out and "quarantined" not in out.replace("0 quarantined", ""), out
    second = tmp_path / "t2.csv"
    write_csv(second, header, [("2024-03-04 14:30:00.002", "101,5"), ("2024-03-04 14:30:00.003", "101,1")])
    out = run("ts", "import", "ticks/ES", str(second), "--key", "ESH4", "--mode", "append").stdout
    assert "2 added" in out, out
    rows = run("ts", "read", "ticks/ES", "ESH4").stdout.splitlines()[1:]
    assert [r.split(",", 1)[1] for r in rows] == ["100.25,1", "100.5,2", "100.5,2", "100.75,1", "101,5", "101,1"], rows
    # Bars of those ticks: one per millisecond bin with every trade counted.
    run("analytics", "bars", "ticks/ES", "--interval", "1s", "--out", "bars/1s")
    bars = run("ts", "read", "bars/1s", "ESH4", "--format", "json").stdout
    assert json.loads(bars)[0]["count"] == 6 and json.loads(bars)[0]["volume"] == 12
    # Daily bars aligned to the exchange's session start from reference data.
    run("ref", "set", "exchanges", "CME", "Name=CME", "SessionStart=13:30", "--reason", "test")
    run("analytics", "bars", "ticks/ES", "--interval", "1d", "--session", "CME", "--out", "bars/1d")
    day = json.loads(run("ts", "read", "bars/1d", "ESH4", "--format", "json").stdout)
    assert len(day) == 1 and "2024-03-04" in str(day[0]["ts"]) and day[0]["count"] == 6
    bad = run("analytics", "bars", "ticks/ES", "--interval", "1d", "--session", "NYSE", "--out", "bars/x", check=False)
    assert bad.returncode == 1 and "'NYSE'" in bad.stderr
    # Tick files are LZ4_RAW (fast to decode); other engines read them.
    import deltalake
    import pyarrow.parquet as pq
    files = list((run.root / "ticks" / "ES").rglob("*.parquet"))
    assert files
    for f in files:
        assert pq.ParquetFile(f).metadata.row_group(0).column(1).compression == "LZ4"
    assert deltalake.DeltaTable(str(run.root / "ticks" / "ES")).to_pyarrow_table().num_rows == 6


def test_cli_inspect_dumps_the_log(run, tmp_path):
    f = tmp_path / "A.csv"
    write_csv(f, "DATETIME,price", [("2024-01-01", 1), ("2024-01-02", 2)])
    run("ts", "import", "fx/spot", str(f), "--key", "A/B")
    out = run("inspect", "log", "fx/spot").stdout
    assert "version 0" in out and "version 1" in out
    assert "commitInfo operation=WRITE" in out
    assert "key=A%252FB/" in out and "key=A/B" in out  # URI path vs partition value
    assert "0 segment(s), 0 record(s)" in run("inspect", "wal", "fx/spot").stdout  # flushed on close
    assert run("inspect", "log", "../etc", check=False).returncode == 1
