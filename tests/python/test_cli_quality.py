"""`systore ingest` and `systore quality` end to end on the real pysystemtrade folder."""
import json

import pytest

from conftest import SHARED_DATA


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data not present")
def test_ingest_is_idempotent_and_quarantine_is_inspectable(run):
    first = run("ingest", "pysystemtrade", str(SHARED_DATA)).stdout
    assert "prices/adjusted" in first and "fx/spot" in first
    total = [line for line in first.splitlines() if line.startswith("total:")][0]
    added = int(total.split(",")[1].split()[0])
    quarantined = int(total.split(",")[2].split()[0])
    assert added > 3_000_000
    assert quarantined > 0  # the spike rule as specified flags real rows: kept, not dropped
    # Every row is either stored or quarantined.
    rows_read = sum(int(l.split("rows read")[0].split()[-1]) for l in first.splitlines() if "rows read" in l)
    assert added + quarantined == rows_read

    again = run("ingest", "pysystemtrade", str(SHARED_DATA)).stdout
    assert "total: 0 series written, 0 rows added, 0 rows quarantined" in again

    listing = run("quality", "quarantine", "list").stdout.splitlines()
    assert listing[0].split()[:3] == ["id", "status", "scope"]
    first_id = listing[1].split()[0]
    shown = run("quality", "quarantine", "show", first_id).stdout
    assert "spike" in shown or "zero_price" in shown or "gap" in shown

    report = json.loads(run("quality", "check", "fx/spot", "GBPUSD", "--format", "json").stdout)
    assert report["dataset"] == "fx/spot"
    assert all(f["key"] == "GBPUSD" for f in report["findings"])
    assert sum(report["by_rule"].values()) == len(report["findings"])
