"""`systore backup` / `systore restore`: round trip on the real data set, point-in-time
recovery between two batches, the offsite tier on a real S3 server (SeaweedFS, started
here on loopback), a server dying mid-backup, and bad input."""
import datetime as dt
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from conftest import REPO, SHARED_DATA


def cli(systore_bin, *args, root=None, env=None, check=True):
    cmd = [systore_bin] + (["--root", str(root)] if root else []) + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if check:
        assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}"
    return p


def fill(systore_bin, root, instrument, qty, price, exec_id):
    out = cli(systore_bin, "ops", "order", "new", "--strategy", "S", "--instrument", instrument, "--contract", "C1",
              "--qty", str(abs(qty)), "--side", "buy" if qty > 0 else "sell", root=root).stdout
    oid = out.strip().splitlines()[-1]
    cli(systore_bin, "ops", "fill", oid, "--qty", str(abs(qty)), "--price", str(price), "--exec-id", exec_id, root=root)


def state(systore_bin, root):
    """What the tests compare: a few series in full, positions, fill count, reference values."""
    s = {}
    for key in ("CORN", "EUR", "BUXL"):
        s[key] = cli(systore_bin, "ts", "read", "prices/adjusted", key, "--format", "csv", root=root).stdout
    s["positions"] = json.loads(cli(systore_bin, "ops", "positions", "--format", "json", root=root).stdout)
    s["spread_GOLD"] = cli(systore_bin, "ref", "show", "spread_costs", "CORN", root=root, check=False).stdout
    s["series"] = cli(systore_bin, "ts", "list", "prices/adjusted", root=root).stdout
    return s


def next_day_csv(path, day, price):
    path.write_text(f"DATETIME,price\n{day} 00:00:00,{price}\n")


@pytest.fixture
def live(systore_bin, tmp_path):
    """A root with the real data set, two fills and a reference change."""
    if not SHARED_DATA.exists():
        pytest.skip(f"no real data at {SHARED_DATA}")
    root = tmp_path / "live"
    cli(systore_bin, "ingest", "pysystemtrade", SHARED_DATA, root=root)
    fill(systore_bin, root, "GOLD", 3, 1900.5, "E1")
    fill(systore_bin, root, "SOFR", -2, 95.1, "E2")
    cli(systore_bin, "ref", "set", "spread_costs", "CORN", "SpreadCost=0.25", "--reason", "test", root=root)
    return root


def merge_day(systore_bin, root, tmp_path, day, price):
    for key in ("CORN", "EUR"):
        f = tmp_path / f"{key}.csv"
        next_day_csv(f, day, price)
        cli(systore_bin, "ts", "import", "prices/adjusted", f, "--key", key, "--mode", "merge", root=root)


def test_backup_restore_round_trip_and_incremental(systore_bin, live, tmp_path):
    repo = tmp_path / "repo"
    before = state(systore_bin, live)
    out = cli(systore_bin, "backup", "create", "--repo", repo, "--label", "day1", root=live)
    assert "copied" in out.stdout and "(bytes)" in out.stderr, "a backup shows progress"
    first = json.loads(cli(systore_bin, "backup", "list", "--repo", repo, "--format", "json").stdout)[0]
    assert first["label"] == "day1" and first["files_copied"] == first["files"]

    # The daily update, then a second backup: only the new parts are copied.
    merge_day(systore_bin, live, tmp_path, "2030-01-02", 1.0)
    cli(systore_bin, "backup", "create", "--repo", repo, root=live)
    second = json.loads(cli(systore_bin, "backup", "list", "--repo", repo, "--format", "json").stdout)[1]
    assert 0 < second["bytes_copied"] < second["bytes"] / 10, second
    assert second["files_copied"] <= 8, second  # 2 data files, 1 commit, the SQLite copy, reference files
    fill(systore_bin, live, "CORN", 7, 400, "E3")
    assert state(systore_bin, live) != before

    target = tmp_path / "restored"
    out = cli(systore_bin, "restore", "--repo", repo, first["id"], "--to", target)
    assert "FAILED" not in out.stdout and "positions reconcile" in out.stdout, out.stdout
    assert state(systore_bin, target) == before
    assert (target / "reference" / "changelog.jsonl").exists()
    assert "OK" in cli(systore_bin, "ops", "reconcile", root=target).stdout
    assert cli(systore_bin, "ref", "verify", root=target).returncode == 0

    # verify: clean, then a flipped byte in a data file's object is named with its file.
    assert "ok:" in cli(systore_bin, "backup", "verify", "--repo", repo).stdout
    manifest = json.loads((repo / "backups" / f"{first['id']}.json").read_text())
    data = next(f for f in manifest["files"] if f["kind"] == "ts_data")
    obj = repo / "objects" / data["sha256"][:2] / data["sha256"]
    raw = bytearray(obj.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    obj.write_bytes(bytes(raw))
    bad = cli(systore_bin, "backup", "verify", "--repo", repo, first["id"], check=False)
    assert bad.returncode == 1
    assert data["path"] in bad.stdout and "SHA-256" in bad.stdout, bad.stdout


def test_point_in_time_between_two_batches(systore_bin, live, tmp_path):
    repo = tmp_path / "repo"
    cli(systore_bin, "backup", "create", "--repo", repo, root=live)
    # Batch A: a daily merge, a fill, a reference change.
    merge_day(systore_bin, live, tmp_path, "2030-01-02", 2.0)
    fill(systore_bin, live, "GOLD", 1, 1901, "A1")
    cli(systore_bin, "ref", "set", "spread_costs", "CORN", "SpreadCost=0.5", "--reason", "batch A", root=live)
    at_a = state(systore_bin, live)
    time.sleep(1.1)  # --time has second resolution on the command line
    t = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    time.sleep(1.1)
    # Batch B.
    merge_day(systore_bin, live, tmp_path, "2030-01-03", 3.0)
    fill(systore_bin, live, "GOLD", -4, 1902, "B1")
    cli(systore_bin, "ref", "set", "spread_costs", "CORN", "SpreadCost=0.75", "--reason", "batch B", root=live)
    assert state(systore_bin, live) != at_a

    target = tmp_path / "pitr"
    out = cli(systore_bin, "restore", "--repo", repo, "--time", t, "--to", target, root=live)
    assert "rolled forward" in out.stdout and "FAILED" not in out.stdout, out.stdout
    assert "journal entries" in out.stdout
    assert state(systore_bin, target) == at_a


def test_bad_input_is_a_clear_error(systore_bin, live, tmp_path):
    repo = tmp_path / "repo"
    cli(systore_bin, "backup", "create", "--repo", repo, root=live)
    bid = json.loads(cli(systore_bin, "backup", "list", "--repo", repo, "--format", "json").stdout)[0]["id"]
    cases = [
        (["restore", "--repo", repo, bid, "--to", live], "not empty"),
        (["restore", "--repo", repo, "--time", "2001-01-01 00:00:00", "--to", tmp_path / "t"], "first was captured"),
        (["restore", "--repo", repo, "20200101T000000Z-000000", "--to", tmp_path / "t"], "not found"),
        (["restore", "--repo", repo, "--to", tmp_path / "t"], "backup id or --time"),
        (["backup", "create"], "no backup repository"),
        (["backup", "create", "--repo", "ftp://host/x"], "only a directory or s3://"),
    ]
    for args, message in cases:
        p = cli(systore_bin, *args, root=live, check=False)
        assert p.returncode != 0 and message in p.stderr, (args, p.stderr)
    assert not (tmp_path / "t").exists()
    # A corrupt manifest is named; an unreachable S3 endpoint is named, quickly.
    (repo / "backups" / f"{bid}.json").write_text("{\"format\": 1")
    p = cli(systore_bin, "backup", "list", "--repo", repo, check=False)
    assert p.returncode == 1 and bid in p.stderr, p.stderr
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y",
               AWS_REGION="us-east-1")
    t0 = time.monotonic()
    p = cli(systore_bin, "backup", "list", "--repo", "s3://systore-backups/x", env=env, check=False)
    assert p.returncode == 1 and "127.0.0.1:9" in p.stderr, p.stderr
    assert time.monotonic() - t0 < 60


# ---- The offsite tier on a real S3-compatible server ---------------------------------

def start_s3(data_dir):
    """Starts SeaweedFS through scripts/s3-server.sh; returns its environment variables."""
    weed = shutil.which("weed") or next(iter(sorted((REPO / ".tools").glob("seaweedfs-*/weed"))), None)
    cache = pathlib.Path(os.environ.get("SYSTORE_TOOL_CACHE", pathlib.Path.home() / ".cache" / "systore-tools"))
    if weed is None and not list(cache.glob("seaweedfs-*/weed")) and os.environ.get("CI") != "true":
        pytest.skip("SeaweedFS is not built (scripts/seaweedfs.sh builds it, ~11 min; CI builds it)")
    p = subprocess.run(["bash", str(REPO / "scripts" / "s3-server.sh"), "start", str(data_dir)],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-3000:]
    env = dict(os.environ)
    for line in p.stdout.splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            env[k] = v
    assert env.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:")
    return env


def stop_s3(data_dir):
    subprocess.run(["bash", str(REPO / "scripts" / "s3-server.sh"), "stop", str(data_dir)], check=False, timeout=120)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    d = tmp_path_factory.mktemp("seaweedfs")
    env = start_s3(d)
    yield env
    stop_s3(d)


def test_offsite_round_trip_on_seaweedfs(systore_bin, live, tmp_path, s3):
    uri = "s3://systore-offsite/" + tmp_path.name
    before = state(systore_bin, live)
    out = cli(systore_bin, "backup", "create", "--repo", uri, "--tier", "offsite", root=live, env=s3).stdout
    assert "copied" in out
    cli(systore_bin, "backup", "create", "--repo", uri, "--tier", "offsite", root=live, env=s3)
    listed = json.loads(cli(systore_bin, "backup", "list", "--repo", uri, "--format", "json", env=s3).stdout)
    assert [b["tier"] for b in listed] == ["offsite", "offsite"]
    assert listed[1]["files_copied"] == 0, "nothing changed: the second backup reuses every object"
    assert "ok:" in cli(systore_bin, "backup", "verify", "--repo", uri, env=s3).stdout
    target = tmp_path / "from-s3"
    cli(systore_bin, "restore", "--repo", uri, listed[0]["id"], "--to", target, env=s3)
    assert state(systore_bin, target) == before
    # The objects are plain S3 objects other tools read (pyarrow here).
    import pyarrow.fs as pafs
    fs = pafs.S3FileSystem(endpoint_override=s3["AWS_ENDPOINT_URL"].split("://")[1], scheme="http",
                           access_key=s3["AWS_ACCESS_KEY_ID"], secret_key=s3["AWS_SECRET_ACCESS_KEY"], region="us-east-1")
    manifest = json.loads(fs.open_input_stream(f"systore-offsite/{tmp_path.name}/backups/{listed[0]['id']}.json").read())
    assert len(manifest["files"]) == listed[0]["files"]


def test_server_dying_mid_backup_lists_nothing_half_written(systore_bin, live, tmp_path):
    d = tmp_path / "s3-dies"
    env = start_s3(d)
    uri = "s3://systore-dies/repo"
    try:
        proc = subprocess.Popen([systore_bin, "--root", str(live), "backup", "create", "--repo", uri],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(0.4)
        subprocess.run(["kill", "-9", open(d / "pid").read().strip()], check=False)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 1, (out, err)
        assert "error:" in err and ("s3" in err.lower() or "127.0.0.1" in err), err
        # The server comes back: no backup is listed, the next one completes and verifies.
        (d / "pid").unlink()
        env = start_s3(d)
        assert json.loads(cli(systore_bin, "backup", "list", "--repo", uri, "--format", "json", env=env).stdout) == []
        cli(systore_bin, "backup", "create", "--repo", uri, root=live, env=env)
        assert "ok: 1 backups" in cli(systore_bin, "backup", "verify", "--repo", uri, env=env).stdout
    finally:
        stop_s3(d)


def test_python_api_backup_verify_restore_and_time(tmp_path):
    import pandas as pd

    import systore
    root = tmp_path / "live"
    st = systore.open(str(root))
    days = pd.date_range("2024-01-01", periods=20, freq="D", tz="UTC")
    st.timeseries.write("prices/adjusted", "CORN", pd.DataFrame({"price": range(20)}, index=days, dtype=float))
    st.reference.set("spread_costs", "CORN", {"SpreadCost": "0.25"}, reason="test")
    oid = st.operational.add_order(strategy="S", instrument="CORN", contract="C1", quantity=2)
    st.operational.apply_fill(oid, quantity=2, price=400.0, exec_id="P1")

    repo = systore.BackupRepository(str(tmp_path / "repo"))
    info = repo.create(str(root), label="py")
    assert info["files_copied"] == info["files"] > 0
    assert [b["id"] for b in repo.list()] == [info["id"]]
    assert repo.verify(info["id"])["ok"]
    time.sleep(0.05)
    t = pd.Timestamp.now(tz="UTC")
    time.sleep(0.05)
    st.timeseries.merge("prices/adjusted", "CORN", pd.DataFrame({"price": [99.0]}, index=[days[-1] + pd.Timedelta(days=1)]))
    st.reference.set("spread_costs", "CORN", {"SpreadCost": "0.5"}, reason="later")

    r = repo.restore(str(tmp_path / "by-id"), backup_id=info["id"])
    assert r["consistent"], r["checks"]
    back = systore.open(str(tmp_path / "by-id"))
    assert len(back.timeseries.read("prices/adjusted", "CORN")) == 20
    assert back.reference.get("spread_costs", "CORN", "SpreadCost") == "0.25"
    assert back.operational.positions()["position"].tolist() == [2]

    r = repo.restore(str(tmp_path / "at-t"), time=t, live_root=str(root))
    assert r["consistent"], r["checks"]
    at = systore.open(str(tmp_path / "at-t"))
    assert len(at.timeseries.read("prices/adjusted", "CORN")) == 20
    assert at.reference.get("spread_costs", "CORN", "SpreadCost") == "0.25"
    with pytest.raises(systore.InvalidArgument, match="not empty"):
        repo.restore(str(tmp_path / "at-t"), backup_id=info["id"])


def test_lifecycle_cli_dry_run_then_run(systore_bin, tmp_path):
    root = tmp_path / "root"
    csv = tmp_path / "px.csv"
    days = [dt.date(2000, 1, 3) + dt.timedelta(days=i) for i in range(0, 20 * 365, 7)]
    csv.write_text("DATETIME,price\n" + "".join(f"{d} 00:00:00,{i}.5\n" for i, d in enumerate(days)))
    cli(systore_bin, "ts", "import", "prices/weekly", csv, "--key", "X", "--partition", "year", root=root)
    (root / "systore.yaml").write_text(
        "lifecycle:\n  cold_root: ../cold\n  rules:\n    - {datasets: \"prices/*\", retention: 15y, cold_after: 5y}\n")
    before = cli(systore_bin, "ts", "read", "prices/weekly", "X", "--format", "csv", root=root).stdout
    dry = cli(systore_bin, "lifecycle", "run", "--dry-run", "--now", "2020-01-01", root=root).stdout
    assert "would remove prices/weekly/X: 5 files" in dry, dry
    assert "would move 10 files" in dry, dry
    assert cli(systore_bin, "ts", "read", "prices/weekly", "X", "--format", "csv", root=root).stdout == before
    out = cli(systore_bin, "lifecycle", "run", "--now", "2020-01-01", root=root).stdout
    assert "committed prices/weekly" in out
    after = cli(systore_bin, "ts", "read", "prices/weekly", "X", "--format", "csv", root=root).stdout.splitlines()
    assert after[1].startswith("2005-"), after[:3]
    assert after[-1] == before.splitlines()[-1], "hot and cold read as one series"
    assert len(list((tmp_path / "cold" / "prices" / "weekly").rglob("*.parquet"))) == 10
    bad = cli(systore_bin, "lifecycle", "run", root=root, check=False)
    assert bad.returncode == 0
    (root / "systore.yaml").write_text("lifecycle:\n  rules:\n    - {datasets: x, retention: ten years}\n")
    bad = cli(systore_bin, "lifecycle", "run", root=root, check=False)
    assert bad.returncode == 1 and "systore.yaml line 3" in bad.stderr, bad.stderr


def test_python_api_offsite_on_seaweedfs(tmp_path, s3, monkeypatch):
    import pandas as pd

    import systore
    for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ALLOW_HTTP"):
        monkeypatch.setenv(k, s3[k])
    root = tmp_path / "live"
    st = systore.open(str(root))
    days = pd.date_range("2024-01-01", periods=50, freq="D", tz="UTC")
    st.timeseries.write("prices/adjusted", "CORN", pd.DataFrame({"price": range(50)}, index=days, dtype=float))
    repo = systore.BackupRepository("s3://systore-py/" + tmp_path.name)
    info = repo.create(str(root), tier="offsite")
    assert repo.list()[0]["tier"] == "offsite"
    assert repo.verify()["ok"]
    r = repo.restore(str(tmp_path / "back"), backup_id=info["id"])
    assert r["consistent"]
    assert systore.open(str(tmp_path / "back")).timeseries.read("prices/adjusted", "CORN")["price"].tolist() == \
        [float(i) for i in range(50)]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs: a real full disk (needs root and mount rights)."""
    d = tmp_path / "tiny"
    d.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(d)], capture_output=True, text=True)
    if p.returncode != 0:
        if os.environ.get("CI") == "true" and os.geteuid() == 0:
            pytest.fail(f"cannot mount a tmpfs under CI as root: {p.stderr}")
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {p.stderr.strip()}")
    yield d
    subprocess.run(["umount", str(d)], check=False)


def test_full_disk_is_a_clear_error_and_leaves_nothing_listed(systore_bin, live, tmp_path, tiny_disk):
    repo = tiny_disk / "repo"
    p = cli(systore_bin, "backup", "create", "--repo", repo, root=live, check=False)
    assert p.returncode == 1 and "No space left on device" in p.stderr and str(tiny_disk) in p.stderr, p.stderr
    assert json.loads(cli(systore_bin, "backup", "list", "--repo", repo, "--format", "json").stdout) == []
    assert not list(repo.rglob(".tmp*")), "a failed write leaves no temporary file"
    out = cli(systore_bin, "backup", "prune", "--repo", repo, "--keep-daily", "1").stdout
    assert "kept" in out and "recent unlisted objects" in out, out  # perhaps a running backup's
    out = cli(systore_bin, "backup", "prune", "--repo", repo, "--keep-daily", "1", "--orphan-grace", "0").stdout
    assert [f for f in repo.rglob("*") if f.is_file()] == [], "prune removes what the failed backup left"
    # A restore onto a full disk: the error says so and nothing half-restored is left.
    good = tmp_path / "repo"
    cli(systore_bin, "backup", "create", "--repo", good, root=live)
    bid = json.loads(cli(systore_bin, "backup", "list", "--repo", good, "--format", "json").stdout)[0]["id"]
    p = cli(systore_bin, "restore", "--repo", good, bid, "--to", tiny_disk / "restored", check=False)
    assert p.returncode == 1 and "No space left on device" in p.stderr, p.stderr
    assert sorted(x.name for x in tiny_disk.iterdir()) == ["repo"], list(tiny_disk.iterdir())
