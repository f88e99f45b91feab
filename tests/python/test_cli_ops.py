"""`systore ops`: manual orders and fills, positions, process control, reconcile."""
import json
import sqlite3


def test_ops_order_fill_positions_and_reconcile(run):
    out = run("ops", "order", "new", "--strategy", "S1", "--instrument", "SOFR", "--contract", "20250300",
              "--qty", "5").stdout
    oid = out.strip().splitlines()[-1]
    assert oid == "1"
    run("ops", "fill", oid, "--qty", "2", "--price", "95.1", "--exec-id", "X1", "--commission", "1.2")
    order = json.loads(run("ops", "order", oid, "--format", "json").stdout)
    assert order["status"] == "partially_filled" and order["filled_quantity"] == 2
    fills = json.loads(run("ops", "fills", oid, "--format", "json").stdout)
    assert [f["exec_id"] for f in fills] == ["X1"]
    pos = json.loads(run("ops", "positions", "--format", "json").stdout)
    assert pos["strategy"] == [{"strategy": "S1", "instrument": "SOFR", "position": 2}]
    assert pos["contract"] == [{"instrument": "SOFR", "contract": "20250300", "position": 2}]
    listed = json.loads(run("ops", "orders", "--strategy", "S1", "--open", "--format", "json").stdout)
    assert [o["id"] for o in listed] == [1]
    assert "OK" in run("ops", "reconcile").stdout

    run("ops", "cancel", oid, "--reason", "eod")
    assert json.loads(run("ops", "orders", "--status", "cancelled", "--format", "json").stdout)[0]["id"] == 1

    # Tamper with a stored position: reconcile must fail with exit code 1 and say where.
    db = sqlite3.connect(str(run.root / "operational" / "ops.sqlite"))
    db.execute("UPDATE strategy_positions SET net_position = 7")
    db.commit()
    db.close()
    bad = run("ops", "reconcile", "--format", "json", check=False)
    assert bad.returncode == 1
    report = json.loads(bad.stdout)
    assert report["ok"] is False and report["differences"][0]["stored"] == 7


def test_ops_bad_input_is_refused_and_changes_nothing(run):
    oid = run("ops", "order", "new", "--strategy", "S1", "--instrument", "SOFR", "--contract", "C",
              "--qty", "3").stdout.strip().splitlines()[-1]
    run("ops", "fill", oid, "--qty", "1", "--price", "1", "--exec-id", "E1")
    before = run("ops", "audit", "--limit", "0", "--format", "json").stdout
    cases = [
        (["ops", "fill", "999", "--qty", "1", "--price", "1", "--exec-id", "E2"], "order 999 not found"),
        (["ops", "fill", oid, "--qty", "0", "--price", "1", "--exec-id", "E3"], "quantity must be positive"),
        (["ops", "fill", oid, "--qty", "5", "--price", "1", "--exec-id", "E4"], "overfill"),
        (["ops", "fill", oid, "--qty", "1", "--price", "1", "--exec-id", "E1"], "already applied"),
        (["ops", "order", "new", "--strategy", "S1", "--instrument", "SOFR", "--qty", "-2"], "quantity"),
        (["ops", "order", "new", "--strategy", "S1", "--instrument", "SOFR", "--qty", "1",
          "--attributes", "{oops"], "malformed JSON"),
        (["ops", "process", "run_stack", "--set", "SLEEP"], "unknown process control status"),
    ]
    for args, message in cases:
        p = run(*args, check=False)
        assert p.returncode == 1, args
        assert message in p.stderr, (args, p.stderr)
    assert run("ops", "audit", "--limit", "0", "--format", "json").stdout == before


def test_ops_process_control(run):
    run("ops", "process", "run_stack_handler", "--set", "NO-RUN")
    states = json.loads(run("ops", "process", "--format", "json").stdout)
    assert states[0]["name"] == "run_stack_handler" and states[0]["control"] == "NO-RUN"
    assert "NO-RUN" in run("ops", "process", "run_stack_handler").stdout


def test_ops_on_mongodb_through_ferretdb(run, tmp_path):
    """The same commands on the MongoDB backend (FerretDB, journal commits)."""
    import os
    import socket
    import subprocess
    import time

    binary = os.environ.get("SYSTORE_FERRETDB", "")
    if not binary or not os.access(binary, os.X_OK):
        if os.environ.get("CI") == "true":
            raise AssertionError("SYSTORE_FERRETDB is not set under CI (scripts/test.sh builds FerretDB)")
        import pytest
        pytest.skip("no ferretdb binary: run scripts/ferretdb.sh and set SYSTORE_FERRETDB")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "ferretdb.log", "w")
    server = subprocess.Popen([binary, "--handler=sqlite", f"--sqlite-url=file:{tmp_path}/",
                               f"--listen-addr=127.0.0.1:{port}", f"--state-dir={tmp_path}",
                               "--telemetry=disable", "--debug-addr=-", "--log-level=warn"],
                              stdout=log, stderr=log)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        base = f"mongodb://127.0.0.1:{port}/ops"
        refused = run("ops", "--uri", base, "orders", check=False)
        assert refused.returncode == 1 and "cannot run multi-document transactions" in refused.stderr
        uri = ["--uri", base + "?systoreAtomicity=journal"]
        oid = run("ops", *uri, "order", "new", "--strategy", "S1", "--instrument", "SOFR", "--contract", "C1",
                  "--qty", "4").stdout.strip().splitlines()[-1]
        run("ops", *uri, "fill", oid, "--qty", "3", "--price", "101.5", "--exec-id", "M1")
        dup = run("ops", *uri, "fill", oid, "--qty", "1", "--price", "101.5", "--exec-id", "M1", check=False)
        assert dup.returncode == 1 and "already applied" in dup.stderr
        order = json.loads(run("ops", *uri, "order", oid, "--format", "json").stdout)
        assert order["status"] == "partially_filled" and order["filled_quantity"] == 3
        pos = json.loads(run("ops", *uri, "positions", "--format", "json").stdout)
        assert pos["strategy"] == [{"strategy": "S1", "instrument": "SOFR", "position": 3}]
        assert "OK" in run("ops", *uri, "reconcile").stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
