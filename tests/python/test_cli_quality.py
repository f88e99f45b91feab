"""`systore ingest` and `systore quality` end to end on the real pysystemtrade folder."""
import json

import pytest

from conftest import SHARED_DATA


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data not present")
def test_ingest_is_idempotent_and_quarantine_is_inspectable(run, tmp_path):
    first = run("ingest", "pysystemtrade", str(SHARED_DATA)).stdout
    assert "prices/adjusted" in first and "fx/spot" in first
    total = [line for line in first.splitlines() if line.startswith("total:")][0]
    added = int(total.split(",")[1].split()[0])
    quarantined = int(total.split(",")[2].split()[0])
    # A first import of an already-cleaned history is reported, not withheld: every row
    # is stored, and the spike rule's findings are still counted (as warnings).
    rows_read = sum(int(l.split("rows read")[0].split()[-1]) for l in first.splitlines() if "rows read" in l)
    assert added == rows_read == 3_650_620
    assert quarantined == 0
    spikes = [l for l in first.splitlines() if l.strip().startswith("spike")]
    assert spikes and int(spikes[0].split()[-1]) > 0

    again = run("ingest", "pysystemtrade", str(SHARED_DATA)).stdout
    assert "total: 0 series written, 0 rows added, 0 rows quarantined" in again

    # The next day's file: new rows are merged after stored history and judged; a 50%
    # jump in GBPUSD is a spike and goes to the quarantine, the good row is stored.
    day = tmp_path / "day" / "fx_prices_csv"
    day.mkdir(parents=True)
    text = (SHARED_DATA / "fx_prices_csv" / "GBPUSD.csv").read_text()
    (day / "GBPUSD.csv").write_text(text + "2023-09-04 23:00:00,1.2670\n2023-09-05 23:00:00,1.9\n")
    update = run("ingest", "pysystemtrade", str(day.parent)).stdout
    assert "total: 1 series written, 1 rows added, 1 rows quarantined" in update, update

    listing = run("quality", "quarantine", "list").stdout.splitlines()
    assert listing[0].split()[:3] == ["id", "status", "scope"]
    first_id = listing[1].split()[0]
    shown = run("quality", "quarantine", "show", first_id).stdout
    assert "spike" in shown and "GBPUSD" in shown

    report = json.loads(run("quality", "check", "fx/spot", "GBPUSD", "--format", "json").stdout)
    assert report["dataset"] == "fx/spot"
    assert all(f["key"] == "GBPUSD" for f in report["findings"])
    assert sum(report["by_rule"].values()) == len(report["findings"])
