"""The main job: `systore demo` runs end to end on the embedded default stores."""


def test_demo_runs_end_to_end(run):
    out = run("demo", "--instruments", "12", "--years", "3").stdout
    assert "the same merge again adds 0 rows (idempotent, version unchanged)" in out
    assert "validated and written" in out and "0 quarantined" in out  # through the quality gate
    assert "durable appends" in out and "flush: one commit" in out
    assert "the same again:" in out and "unchanged, no new version" in out  # analytics lineage
    assert "one-minute bars" in out
    assert "correlation estimate of 8 instruments" in out and "weekly rows x 28 pairs" in out
    assert "change log verified: ok" in out
    assert "reconcile against fills: ok" in out
    assert "repeated execution id is refused (AlreadyExists)" in out
    assert "9. Backup and verify" in out and "verify: ok" in out
    assert "a second backup copies 0 new files" in out or "a second backup copies 1 new files" in out
    assert out.rstrip().splitlines()[-1].startswith("done:")


def test_python_demo_runs_on_the_demo_store(run):
    import subprocess
    import sys

    run("demo", "--instruments", "6", "--years", "2")
    p = subprocess.run([sys.executable, "-m", "systore.demo", "--root", str(run.root)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "read every adjusted-price series" in out
    assert "rows added 1, quarantined 1" in out  # the ordinary row stored, the spike kept out
    assert "reconcile ok=True" in out and "verify ok=True" in out
    assert out.rstrip().endswith("done.")
    empty = subprocess.run([sys.executable, "-m", "systore.demo", "--root", str(run.root / "nothing")],
                           capture_output=True, text=True)
    assert empty.returncode == 2 and "systore demo" in empty.stderr
