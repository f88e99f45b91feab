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


def test_cli_rejects_bad_input_with_location_and_keeps_store(run, tmp_path):
    good = tmp_path / "A.csv"
    write_csv(good, "DATETIME,price", [("2024-01-01", 1), ("2024-01-02", 2)])
    run("ts", "import", "fx/spot", str(good), "--key", "A")
    before = run("ts", "read", "fx/spot", "A").stdout

    cases = {
        "order": ("DATETIME,price", [("2024-01-05", 1), ("2024-01-04", 2)], "line 3"),
        "dup": ("DATETIME,price", [("2024-01-05", 1), ("2024-01-05", 2)], "duplicate timestamp"),
        "cols": ("DATETIME,px", [("2024-01-05", 1)], "missing column 'price'"),
        "when": ("DATETIME,price", [("2024-01-05 25:00:00", 1)], "line 2, column 'DATETIME'"),
    }
    for name, (header, rows, message) in cases.items():
        bad = tmp_path / f"{name}.csv"
        write_csv(bad, header, rows)
        p = run("ts", "import", "fx/spot", str(bad), "--key", "A", "--mode", "merge", check=False)
        assert p.returncode == 1, name
        assert message in p.stderr, (name, p.stderr)
    assert run("ts", "read", "fx/spot", "A").stdout == before
    assert run("ts", "read", "fx/spot", "NOPE", check=False).returncode == 1
    assert run("ts", "import", check=False).returncode != 0  # usage error
    help_text = run("ts", "import", "--help").stdout
    assert "--key-from-filename" in help_text and "one commit" in help_text


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
