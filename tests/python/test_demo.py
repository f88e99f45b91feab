"""The main job: `systore demo` runs end to end on the embedded default stores."""


def test_demo_runs_end_to_end(run):
    out = run("demo", "--instruments", "12", "--years", "3").stdout
    assert "the same merge again adds 0 rows (idempotent)" in out
    assert "durable appends" in out and "flush: one commit" in out
    assert "change log verified: ok" in out
    assert "reconcile against fills: ok" in out
    assert "repeated execution id is refused (AlreadyExists)" in out
    assert out.rstrip().splitlines()[-1].startswith("done:")
