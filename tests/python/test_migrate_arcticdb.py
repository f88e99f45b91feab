"""systore.migrate.from_arcticdb and `python -m systore.migrate arcticdb`, against ArcticDB's
LMDB backend in tmp_path: exact values, every version, snapshots, key maps, errors, CLI."""
import json
import os
import pathlib
import subprocess
import sys

import arcticdb
import numpy as np
import pandas as pd
import pytest

import systore
from systore.migrate import ImportSummary, MigrationError, from_arcticdb

# ArcticDB 6.28's read builds frames through a pandas API pandas 2.3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:Passing a BlockManager:DeprecationWarning")

PY_DIR = pathlib.Path(systore.__file__).resolve().parent.parent
DS = "prices/adjusted"
# 0.1+0.2, tiny, -0.0, the smallest subnormal, the largest double, 2/3, NaN, a NaN with a
# payload and the sign bit, -inf.
AWKWARD = np.array([0.1 + 0.2, 1e-300, -0.0, 5e-324, 1.7976931348623157e308, 2.0 / 3.0, np.nan,
                    np.array([0xFFF8000000000001], dtype=np.uint64).view(np.float64)[0], -np.inf])
N = len(AWKWARD)


def index(n=N, start="2024-01-02 23:00:00"):
    """Daily timestamps, each with its own nanosecond offset."""
    return pd.date_range(start, periods=n, freq="D") + pd.to_timedelta(np.arange(n) * 7 + 1, unit="ns")


def frame(n=N, start="2024-01-02 23:00:00", price=None, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "price": AWKWARD[:n] if price is None else price,
        "carry": rng.standard_normal(n) * 1e-7,
        "f32": rng.standard_normal(n).astype(np.float32),
        "volume": rng.integers(-2**62, 2**62, n, dtype=np.int64),
        "n32": rng.integers(-1000, 1000, n).astype(np.int32),
        "contract": [f"2024{m:02d}" if m % 3 else None for m in range(n)],
    }, index=index(n, start))


@pytest.fixture
def arctic(tmp_path):
    """(Arctic, library) of an empty ArcticDB LMDB library 'lib' in tmp_path. The tests pass
    the Arctic, not its URI: LMDB allows one open per path per process (the CLI tests, in
    their own process, pass the URI)."""
    ac = arcticdb.Arctic("lmdb://" + str(tmp_path / "arctic"))
    return ac, ac.get_library("lib", create_if_missing=True)


@pytest.fixture
def st(tmp_path):
    return systore.open(tmp_path / "store")


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.uint64)


def assert_exact(back: pd.DataFrame, want: pd.DataFrame):
    """systore's read == ArcticDB's read: the same instants to the ns, the same float bits,
    the same integers and strings (ArcticDB's None/NaN strings come back as None)."""
    idx = want.index
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    assert back.index.dtype == "datetime64[ns]"
    np.testing.assert_array_equal(back.index.asi8, idx.as_unit("ns").asi8)
    assert sorted(back.columns) == sorted(str(c) for c in want.columns)
    for c in want.columns:
        w, b = want[c], back[str(c)]
        if w.dtype.kind == "f":
            assert b.dtype == np.float64, c
            np.testing.assert_array_equal(bits(b), bits(w.to_numpy().astype(np.float64)), err_msg=str(c))
        elif w.dtype.kind in "iu":
            assert b.dtype == np.int64, c
            np.testing.assert_array_equal(b.to_numpy(), w.to_numpy().astype(np.int64), err_msg=str(c))
        else:
            assert b.tolist() == [None if (v is None or v != v) else v for v in w.tolist()], c


# ----------------------------------------------------------------------------------------

def test_current_versions_arrive_bit_exact(arctic, st):
    ac, lib = arctic
    lib.write("US10", frame(seed=1).iloc[:4])       # an older version: not imported by default
    lib.write("US10", frame(seed=2))
    lib.write("SOFR", frame(seed=3, start="1999-12-31 23:59:59"))
    tz = frame(5, seed=4)
    tz.index = tz.index.tz_localize("UTC").tz_convert("US/Eastern")
    lib.write("TZ", tz)

    s = from_arcticdb(ac, "lib", DS, store=st)
    assert isinstance(s, ImportSummary)
    assert (s.symbols, s.versions, s.rows, s.snapshots, s.skipped) == (3, 3, 2 * N + 5, 0, [])
    assert s.keys == {"SOFR": "SOFR", "TZ": "TZ", "US10": "US10"}
    ts = st.timeseries
    assert ts.list_keys(DS) == ["SOFR", "TZ", "US10"]
    for sym in ("US10", "SOFR", "TZ"):
        assert_exact(ts.read(DS, sym), lib.read(sym).data)
        assert len(ts.versions(DS, sym)) == 1
    # ArcticDB gives back what was written, so systore holds the original bits too.
    np.testing.assert_array_equal(bits(ts.read(DS, "US10")["price"]), bits(AWKWARD))
    assert ts.read(DS, "US10").index[0].value == pd.Timestamp("2024-01-02 23:00:00.000000001").value
    text = str(s)
    for word in ("symbols    3", "versions   3", f"rows       {2 * N + 5}", "skipped    0", "seconds"):
        assert word in text, text


def test_all_versions_replay_in_arctic_order_with_each_version_exact(arctic, st):
    ac, lib = arctic
    lib.write("A", frame(3, seed=10))              # A0
    lib.write("B", frame(4, seed=11))              # B0
    lib.append("A", frame(2, start="2025-01-01", seed=12))  # A1: A0 + 2 rows
    lib.write("B", frame(2, seed=13))              # B1
    lib.write("A", frame(0))                       # A2: empty
    lib.write("A", frame(5, seed=14))              # A3
    lib.write("X", frame(2, seed=15))              # X0 (deleted below: not a live version)
    lib.write("X", frame(3, seed=16))              # X1
    lib.delete("X", versions=[0])

    s = from_arcticdb(ac, "lib", DS, store=st, all_versions=True)
    ts = st.timeseries
    assert s.versions == 4 + 2 + 1 and s.symbols == 3
    for sym in ("A", "B", "X"):
        arctic_versions = sorted(v.version for v, info in lib.list_versions(sym).items() if not info.deleted)
        systore_commits = ts.versions(DS, sym)
        assert len(systore_commits) == len(arctic_versions), sym
        assert [a for a, _ in s.version_map[sym]] == arctic_versions
        assert [v for _, v in s.version_map[sym]] == [c["version"] for c in systore_commits]
        for av, sv in s.version_map[sym]:
            want = lib.read(sym, as_of=av).data
            if len(want) == 0:   # systore holds no empty series: the key reads as absent there
                with pytest.raises(systore.NotFound):
                    ts.read(DS, sym, as_of=sv)
            else:
                assert_exact(ts.read(DS, sym, as_of=sv), want)
        assert_exact(ts.read(DS, sym), lib.read(sym).data)
    # One commit per ArcticDB version, in the order ArcticDB wrote them.
    order = sorted((sv, sym, av) for sym, pairs in s.version_map.items() for av, sv in pairs)
    assert [(sym, av) for _, sym, av in order] == [("A", 0), ("B", 0), ("A", 1), ("B", 1), ("A", 2), ("A", 3), ("X", 1)]


def test_snapshots_on_the_replay_cost_no_extra_commits(arctic, st):
    ac, lib = arctic
    lib.write("A", frame(3, seed=1))
    lib.write("B", frame(3, seed=2))
    lib.snapshot("eod-1")
    lib.write("A", frame(6, seed=3))
    lib.snapshot("eod-2")
    lib.write("B", frame(7, seed=4))

    s = from_arcticdb(ac, "lib", DS, store=st, all_versions=True, snapshots=True)
    ts = st.timeseries
    assert s.snapshot_map == {"eod-1": "eod-1", "eod-2": "eod-2"} and s.snapshots == 2
    assert s.materialized == [] and s.extra_commits == 0
    assert {x["name"] for x in ts.list_snapshots()} == {"eod-1", "eod-2"}
    for sym in ("A", "B"):
        assert len(ts.versions(DS, sym)) == len(lib.list_versions(sym))
        for snap in ("eod-1", "eod-2"):
            assert_exact(ts.read(DS, sym, as_of=snap), lib.read(sym, as_of=snap).data)
        assert_exact(ts.read(DS, sym), lib.read(sym).data)
    assert len(ts.read(DS, "A", as_of="eod-1")) == 3 and len(ts.read(DS, "A", as_of="eod-2")) == 6


def test_snapshots_off_the_replay_hold_exactly_the_arctic_state(arctic, st):
    ac, lib = arctic
    lib.write("A", frame(3, seed=1))
    lib.write("B", frame(4, seed=2))
    lib.write("C", frame(5, seed=3))
    lib.snapshot("all-three")
    lib.write("A", frame(6, seed=4))
    lib.snapshot("no-b", skip_symbols=["B"])       # a snapshot of some symbols
    lib.snapshot("old-a", versions={"A": 0, "B": 0})  # older versions, chosen
    lib.delete("C")                                   # C lives on in snapshots only
    lib.write("A", frame(2, seed=5))
    lib.delete("A", versions=[1])                     # A1 lives on in 'no-b' only

    # Current versions only, so every snapshot needs its state put in place.
    s = from_arcticdb(ac, "lib", DS, store=st, snapshots=True)
    ts = st.timeseries
    arctic_snaps = set(lib.list_snapshots())
    assert set(s.snapshot_map) == arctic_snaps == {"all-three", "no-b", "old-a"}
    assert sorted(s.materialized) == sorted(arctic_snaps) and s.extra_commits > 0
    assert "C" in s.keys  # imported for the snapshots that hold it
    for snap in arctic_snaps:
        held = set(lib.list_symbols(snapshot_name=snap))
        for sym in ("A", "B", "C"):
            if sym in held:
                assert_exact(ts.read(DS, sym, as_of=snap), lib.read(sym, as_of=snap).data)
            else:
                with pytest.raises(systore.NotFound):
                    ts.read(DS, sym, as_of=snap)
    # ... and the current state is ArcticDB's current state again.
    assert ts.list_keys(DS) == sorted(lib.list_symbols()) == ["A", "B"]
    for sym in ("A", "B"):
        assert_exact(ts.read(DS, sym), lib.read(sym).data)
    assert "not on the version history" in str(s)

    # With every version, 'old-a' (A0, B0) is a point of the replay: pinned there. The other
    # two hold versions ArcticDB has deleted (C0, A1), which no replay passes.
    s2 = from_arcticdb(ac, "lib", "prices/again", store=st, all_versions=True, snapshots=True,
                       snapshot_map=lambda n: "v-" + n)
    assert sorted(s2.materialized) == ["all-three", "no-b"] and s2.snapshots == 3
    for snap in arctic_snaps:
        for sym in lib.list_symbols(snapshot_name=snap):
            assert_exact(ts.read("prices/again", sym, as_of="v-" + snap), lib.read(sym, as_of=snap).data)


def test_key_map_dict_callable_and_symbols(arctic, st):
    ac, lib = arctic
    for sym, seed in (("ES_adj", 1), ("NQ_adj", 2), ("junk", 3)):
        lib.write(sym, frame(4, seed=seed))
    s = from_arcticdb(ac, "lib", DS, store=st, key_map={"ES_adj": "ES", "junk": None})
    assert s.keys == {"ES_adj": "ES", "NQ_adj": "NQ_adj"}
    assert [(x.kind, x.name) for x in s.excluded] == [("symbol", "junk")] and s.skipped == []
    assert st.timeseries.list_keys(DS) == ["ES", "NQ_adj"]
    assert_exact(st.timeseries.read(DS, "ES"), lib.read("ES_adj").data)

    s = from_arcticdb(ac, "lib", "prices/lower", store=st, key_map=lambda sym: sym.split("_")[0].lower(),
                      symbols=["ES_adj", "NQ_adj"])
    assert st.timeseries.list_keys("prices/lower") == ["es", "nq"] and s.symbols == 2

    with pytest.raises(MigrationError, match=r"'ES_adj', 'NQ_adj', 'junk' -> 'X'"):
        from_arcticdb(ac, "lib", "prices/clash", store=st, key_map=lambda sym: "X")
    with pytest.raises(MigrationError, match="control character"):
        from_arcticdb(ac, "lib", "prices/bad", store=st, key_map={"ES_adj": "E\nS"})
    with pytest.raises(systore.NotFound, match="no symbol 'NOPE'"):
        from_arcticdb(ac, "lib", "prices/bad", store=st, symbols=["NOPE"])
    assert "prices/clash" not in st.timeseries.list_datasets()
    assert "prices/bad" not in st.timeseries.list_datasets()


def test_problems_name_the_symbol_and_nothing_is_written(arctic, st):
    ac, lib = arctic
    good = pd.DataFrame({"price": [1.0, 2.0, 3.0]}, index=index(3))
    lib.write("GOOD", good)
    # uint64 is stored as int64 when it fits, but not into GOOD's double column beyond 2**53.
    lib.write("U64", pd.DataFrame({"price": np.array([1, 2, 2**63 - 1], dtype=np.uint64)}, index=index(3)))
    lib.write("RANGE", pd.DataFrame({"price": [1.0, 2.0]}))
    lib.write("FLAG", pd.DataFrame({"price": [1.0, 2.0], "flag": [True, False]}, index=index(2)))
    lib.write("WHEN", pd.DataFrame({"price": [1.0, 2.0], "when": index(2)}, index=index(2)))
    lib.write("UNSORTED", pd.DataFrame({"price": [1.0, 2.0]}, index=index(2)[::-1]), validate_index=False)
    lib.write("DUP", pd.DataFrame({"price": [1.0, 2.0]}, index=pd.DatetimeIndex(["2024-01-01"] * 2)))
    lib.write("HUGE", pd.DataFrame({"price": np.array([1, 2**63], dtype=np.uint64)}, index=index(2)))
    lib.write("OTHER", pd.DataFrame({"open": [1.0]}, index=index(1)))
    lib.write("TSCOL", pd.DataFrame({"price": [1.0], "ts": [2.0]}, index=index(1)))
    lib.write_pickle("PICKLE", {"not": "a frame"})
    expected = {"RANGE": "RangeIndex, not a DatetimeIndex", "FLAG": "column 'flag' is bool",
                "WHEN": "column 'when' is datetime64[ns]", "UNSORTED": "is before the previous row",
                "DUP": "duplicates the previous row", "HUGE": "above 2**63-1",
                "OTHER": "has columns ['open'] but the dataset's are ['price']",
                "TSCOL": "column named 'ts'", "PICKLE": "holds a dict, not a DataFrame",
                "U64": "holds integers up to 9223372036854775807, beyond 2**53"}

    with pytest.raises(MigrationError) as e:
        from_arcticdb(ac, "lib", DS, store=st)
    msg = str(e.value)
    assert "nothing was written" in msg
    for sym, why in expected.items():
        assert f"symbol '{sym}'" in msg and why in msg, (sym, msg)
    assert {w for w, _ in e.value.problems} == {f"symbol '{s}'" for s in expected}
    assert DS not in st.timeseries.list_datasets()

    s = from_arcticdb(ac, "lib", DS, store=st, on_error="skip")
    assert sorted(x.name for x in s.skipped) == sorted(expected)
    for x in s.skipped:
        assert expected[x.name] in x.reason
    assert st.timeseries.list_keys(DS) == ["GOOD"]
    assert_exact(st.timeseries.read(DS, "GOOD"), good)
    assert "skipped    10" in str(s) and "symbol 'PICKLE'" in str(s)
    from_arcticdb(ac, "lib", "prices/u64", store=st, symbols=["U64"])
    back = st.timeseries.read("prices/u64", "U64")["price"]
    assert back.dtype == np.int64 and back.tolist() == [1, 2, 2**63 - 1]


def test_existing_keys_and_snapshot_names_are_not_overwritten(arctic, st):
    ac, lib = arctic
    lib.write("A", frame(3))
    lib.snapshot("eod 2024-01-02")          # not a valid systore snapshot name
    with pytest.raises(MigrationError, match="not a valid systore snapshot name"):
        from_arcticdb(ac, "lib", DS, store=st, snapshots=True)
    assert st.timeseries.list_datasets() == []
    s = from_arcticdb(ac, "lib", DS, store=st, snapshots=True, snapshot_map=lambda n: n.replace(" ", "_"))
    assert s.snapshot_map == {"eod 2024-01-02": "eod_2024-01-02"}
    assert_exact(st.timeseries.read(DS, "A", as_of="eod_2024-01-02"), lib.read("A").data)

    with pytest.raises(MigrationError, match="already holds key 'A'"):
        from_arcticdb(ac, "lib", DS, store=st)
    with pytest.raises(MigrationError, match="already has a snapshot 'eod_2024-01-02'"):
        from_arcticdb(ac, "lib", "prices/b", store=st, snapshots=True, snapshot_map=lambda n: n.replace(" ", "_"))
    assert len(st.timeseries.versions(DS, "A")) == 1
    st.timeseries.write("prices/c", "OTHER", frame(2))
    with pytest.raises(MigrationError, match="hold only the imported series"):
        from_arcticdb(ac, "lib", "prices/c", store=st, snapshots=True, snapshot_map=lambda n: "c")


def test_check_false_stops_part_way_and_says_what_it_wrote(arctic, st):
    ac, lib = arctic
    lib.write("A", frame(3))
    lib.write("B", pd.DataFrame({"x": [1.0]}))  # written after A, so found after A is stored
    with pytest.raises(MigrationError, match=r"symbol 'B' version 0: is indexed by a RangeIndex.*stopped after "
                                             r"writing 1 versions of 1 symbols"):
        from_arcticdb(ac, "lib", DS, store=st, check=False)
    assert st.timeseries.list_keys(DS) == ["A"]
    with pytest.raises(systore.InvalidArgument, match="needs check=True"):
        from_arcticdb(ac, "lib", DS, store=st, check=False, on_error="skip")


def test_bad_sources(tmp_path, arctic, st):
    ac, lib = arctic
    with pytest.raises(systore.NotFound, match="no ArcticDB LMDB store"):
        from_arcticdb("lmdb://" + str(tmp_path / "nowhere"), "lib", DS, store=st)
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(systore.NotFound, match=r"no library 'nope' \(libraries: lib\)"):
        from_arcticdb(ac, "nope", DS, store=st)
    lib.write("A", frame(2))
    s = from_arcticdb(None, lib, DS, store=st.timeseries)  # a Library, a TimeSeries
    assert s.library == "lib" and s.keys == {"A": "A"}
    assert_exact(st.timeseries.read(DS, "A"), lib.read("A").data)
    with pytest.raises(systore.InvalidArgument, match="on_error"):
        from_arcticdb(ac, "lib", DS, store=st, on_error="ignore")


# ----------------------------------------------------------------------------------------
# python -m systore.migrate

def cli(*args):
    env = {**os.environ, "PYTHONPATH": str(PY_DIR) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "systore.migrate", *args], capture_output=True, text=True, env=env)


def test_cli_imports_versions_snapshots_and_key_map(arctic, tmp_path):
    ac, lib = arctic
    uri = ac.get_uri()
    lib.write("ES_adj", frame(4, seed=1))
    lib.snapshot("eod-1")
    lib.write("ES_adj", frame(6, seed=2))
    lib.write("junk", frame(2, seed=3))
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"ES_adj": "ES", "junk": None}))
    root = tmp_path / "cli-store"
    p = cli("arcticdb", uri, "lib", "--root", str(root), "--dataset", DS, "--all-versions", "--snapshots",
            "--key-map", str(keys), "--snapshot-prefix", "arctic-")
    assert p.returncode == 0, p.stderr
    assert "symbols    1" in p.stdout and "versions   2" in p.stdout and "snapshots  1" in p.stdout, p.stdout
    assert "writing 2 versions" in p.stderr  # progress
    ts = systore.open(root).timeseries
    assert ts.list_keys(DS) == ["ES"]
    assert_exact(ts.read(DS, "ES"), lib.read("ES_adj").data)
    assert_exact(ts.read(DS, "ES", as_of="arctic-eod-1"), lib.read("ES_adj", as_of="eod-1").data)

    p = cli("arcticdb", uri, "lib", "--root", str(tmp_path / "j"), "--dataset", DS, "--json", "-q",
            "--symbol", "junk")
    assert p.returncode == 0 and p.stderr == ""
    assert json.loads(p.stdout)["keys"] == {"junk": "junk"}


def test_cli_exit_codes_and_help(arctic, tmp_path):
    ac, lib = arctic
    uri = ac.get_uri()
    lib.write("A", frame(3))
    lib.write("BAD", pd.DataFrame({"price": [1.0]}))
    root = str(tmp_path / "s")

    h = cli("arcticdb", "--help")
    assert h.returncode == 0
    for word in ("--all-versions", "--snapshots", "--key-map", "exit status", "lmdb://", "bit for bit"):
        assert word in h.stdout, word
    assert cli("--help").returncode == 0 and "arcticdb" in cli("--help").stdout

    p = cli("arcticdb", uri, "lib", "--root", root, "--dataset", DS)
    assert p.returncode == 1 and "error:" in p.stderr and "symbol 'BAD'" in p.stderr and "RangeIndex" in p.stderr
    assert "Traceback" not in p.stderr
    p = cli("arcticdb", uri, "nope", "--root", root, "--dataset", DS)
    assert p.returncode == 1 and "no library 'nope'" in p.stderr
    p = cli("arcticdb", uri, "lib", "--root", root)  # no --dataset
    assert p.returncode == 2 and "--dataset" in p.stderr
    bad_map = tmp_path / "bad.json"
    bad_map.write_text("[1, 2]")
    p = cli("arcticdb", uri, "lib", "--root", root, "--dataset", DS, "--key-map", str(bad_map))
    assert p.returncode == 2 and "JSON object" in p.stderr

    lib.snapshot("eod 1")  # a name systore does not take, mapped by --snapshot-map
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"eod 1": "eod-1"}))
    p = cli("arcticdb", uri, "lib", "--root", root, "--dataset", DS, "--skip-invalid", "--snapshots",
            "--snapshot-map", str(names))
    assert p.returncode == 3, p.stderr
    assert "skipped    2" in p.stdout and "symbol 'BAD'" in p.stdout, p.stdout
    assert "snapshot 'eod 1': holds symbol 'BAD'" in p.stdout  # so it cannot be exact
    assert systore.open(root).timeseries.list_keys(DS) == ["A"]
    p = cli("arcticdb", uri, "lib", "--root", str(tmp_path / "t"), "--dataset", DS, "--snapshots", "--symbol", "A")
    assert p.returncode == 1 and "not a valid systore snapshot name" in p.stderr and "--snapshot-map" in p.stderr
    p = cli("arcticdb", uri, "lib", "--root", str(tmp_path / "t"), "--dataset", DS, "--snapshots", "--symbol", "A",
            "--snapshot-map", str(names), "--snapshot-prefix", "arctic-")
    assert p.returncode == 0, p.stderr
    assert [x["name"] for x in systore.open(tmp_path / "t").timeseries.list_snapshots()] == ["arctic-eod-1"]


def test_systore_ingest_arcticdb_runs_the_importer(arctic, tmp_path, systore_bin):
    ac, lib = arctic
    lib.write("US10", frame(5, seed=4))
    root = tmp_path / "via-cli"
    env = {**os.environ, "SYSTORE_PYTHON": sys.executable}
    p = subprocess.run([systore_bin, "--root", str(root), "ingest", "arcticdb", ac.get_uri(), "lib",
                        "--dataset", DS, "--json", "-q"], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["keys"] == {"US10": "US10"}
    assert_exact(systore.open(root).timeseries.read(DS, "US10"), lib.read("US10").data)
    bad = subprocess.run([systore_bin, "--root", str(root), "ingest", "arcticdb", ac.get_uri(), "nolib",
                          "--dataset", DS], capture_output=True, text=True, env=env)
    assert bad.returncode != 0 and "nolib" in bad.stderr
