"""The results store: exact round trips, deterministic files, layered roots, atomic writes."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from hwlib.errors import HwlibError, InputError
from hwlib.store import Store, cell_key


def _records():
    return [{"key": cell_key("t", {"i": i}), "x": 0.1 + i / 3, "n": i, "none": None,
             "nan": float("nan"), "params": {"a": [1, 2]}, "name": f"r{i}"} for i in range(5)]


def test_records_round_trip_exactly(tmp_path):
    store = Store(tmp_path)
    recs = _records()
    store.put("a/b", recs, sort_by=["n"])
    got = store.get("a/b", [r["key"] for r in recs])
    for r in recs:
        g = got[r["key"]]
        assert g["x"] == r["x"] and g["n"] == r["n"]           # floats bit for bit
        assert g["none"] is None and g["nan"] is None and g["params"] == {"a": [1, 2]}
    assert store.get("a/b", ["missing"]) == {}
    assert store.tables() == ["a/b"]


def test_get_returns_fresh_records_and_sees_another_writer(tmp_path):
    store, other = Store(tmp_path), Store(tmp_path)
    store.put("t", [{"key": "k", "v": 1.0, "params": {"a": 1}}])
    got = store.get("t", ["k"])["k"]
    got["v"], got["params"]["a"] = 5.0, 7
    assert store.get("t", ["k"])["k"] == {"key": "k", "v": 1.0, "params": {"a": 1}}
    assert type(store.get("t", ["k"])["k"]["v"]) is float      # plain Python values, not numpy's
    other.put("t", [{"key": "k", "v": 2.0, "params": {}}])     # the file changes under the first store
    assert store.get("t", ["k"])["k"]["v"] == 2.0


def test_files_are_deterministic_and_sorted(tmp_path):
    one, two = Store(tmp_path / "1"), Store(tmp_path / "2")
    recs = _records()
    one.put("t", recs, sort_by=["n"])
    for r in reversed(recs):                                  # another order, one at a time
        two.put("t", [r], sort_by=["n"])
    assert (tmp_path / "1/t.csv").read_bytes() == (tmp_path / "2/t.csv").read_bytes()
    lines = (tmp_path / "1/t.csv").read_text().splitlines()
    assert lines[0].startswith("key,") and [line.split(",")[2] for line in lines[1:]] == ["r0", "r1", "r2", "r3", "r4"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_put_replaces_a_key(tmp_path):
    store = Store(tmp_path)
    store.put("t", [{"key": "k", "v": 1.0}])
    store.put("t", [{"key": "k", "v": 2.0}, {"key": "m", "v": 3.0}])
    assert store.get("t", ["k"])["k"]["v"] == 2.0 and len(store.records("t")) == 2


def test_read_roots_come_first_and_are_never_written(tmp_path):
    committed, cache = Store(tmp_path / "results"), Store(tmp_path / "cache", [tmp_path / "results"])
    committed.put("t", [{"key": "k", "v": 1.0}])
    cache.put("t", [{"key": "k", "v": 9.0}, {"key": "m", "v": 2.0}])
    assert cache.get("t", ["k", "m"]) == {"k": {"key": "k", "v": 1.0}, "m": {"key": "m", "v": 2.0}}
    assert len(committed.records("t")) == 1


def test_arrays_round_trip_with_params_beside(tmp_path):
    store = Store(tmp_path)
    arrays = {"a": np.arange(6.0).reshape(2, 3) / 7, "b": np.array([1, 2], dtype=np.int64)}
    store.put_arrays("sim/d", "k1", {"n": 5}, arrays)
    got = store.get_arrays("sim/d", "k1")
    for name in arrays:
        np.testing.assert_array_equal(got[name], arrays[name])
    beside = json.loads((tmp_path / "sim/d/k1.json").read_text())
    assert beside["params"] == {"n": 5} and beside["run"] in store.provenance()
    assert store.get_arrays("sim/d", "other") is None
    assert store.has_arrays("sim/d", "k1") and not store.has_arrays("sim/d", "other")


def test_bad_input_is_named(tmp_path):
    store = Store(tmp_path)
    for table in ("../x", "predictors/.mine/lr"):     # (a CSV of one's own called .mine.csv)
        with pytest.raises(InputError, match="cannot store results under .*starts with '.'"):
            store.put(table, [{"key": "k"}])
    with pytest.raises(ValueError, match="key"):
        store.put("t", [{"v": 1}])
    (tmp_path / "broken.csv").write_text("v\n1\n")
    with pytest.raises(HwlibError, match="broken.csv"):
        store.records("broken")


def test_damaged_files_are_named(tmp_path, caplog):
    store = Store(tmp_path)
    store.put_arrays("sim/d", "k1", {}, {"a": np.arange(3.0)})
    npz = tmp_path / "sim/d/k1.npz"
    npz.write_bytes(npz.read_bytes()[:40])                # cut short: not a zip file any more
    assert store.get_arrays("sim/d", "k1") is None and "unreadable arrays" in caplog.text
    (tmp_path / "provenance.json").write_text('{"abc": {<<<<<<< HEAD')   # a merge conflict, say
    for read in (store.provenance, store.register_run):
        with pytest.raises(HwlibError, match="provenance.json cannot be read.*restore it with git"):
            read()


def test_a_rewrite_in_the_same_clock_tick_is_seen(tmp_path):
    store = Store(tmp_path)
    store.put("t", [{"key": "a", "v": 1.0}])
    assert store.get("t", ["a"])["a"]["v"] == 1.0
    path = tmp_path / "t.csv"
    stamp = path.stat().st_mtime_ns
    Store(tmp_path).put("t", [{"key": "b", "v": 2.0}])     # another process's write ...
    os.utime(path, ns=(stamp, stamp))                      # ... within the same mtime
    assert set(store.get("t", ["a", "b"])) == {"a", "b"}


def test_files_are_written_with_the_umask_mode(tmp_path):
    store = Store(tmp_path)
    path = store.put("t", [{"key": "a"}])
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_key_depends_on_kind_params_and_version():
    keys = {cell_key("a", {"x": 1}), cell_key("b", {"x": 1}), cell_key("a", {"x": 2}),
            cell_key("a", {"x": 1}, version="other")}
    assert len(keys) == 4 and cell_key("a", {"x": 1, "y": 2}) == cell_key("a", {"y": 2, "x": 1})


def test_provenance_is_one_entry_per_code_version(tmp_path):
    store = Store(tmp_path)
    info = {"hwlib": "0", "commit": "abc", "cpu": "x"}
    first = store.register_run(info)
    assert store.register_run({**info, "date": "later"}) == first
    assert store.register_run({**info, "commit": "def"}) != first
    assert set(store.provenance()) == {first, store.register_run({**info, "commit": "def"})}


def _put_many(root, start):
    store = Store(root)
    for i in range(start, start + 15):
        store.put("shared", [{"key": f"k{i:03d}", "v": float(i)}])


def test_two_processes_writing_one_table_lose_no_record(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_put_many, args=(tmp_path, start)) for start in (0, 100)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert len(Store(tmp_path).records("shared")) == 30
