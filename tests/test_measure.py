"""Latency measurement: settings, architecture selection, records, killing and resuming."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwlib import measure as M
from hwlib import networks
from hwlib.cli import main
from hwlib.errors import DataError, InputError
from hwlib.spaces import get_space

pytest.importorskip("torch")

TINY = dict(input_size=8, warmup=0, repeats=2, device="cpu")


def test_settings_checked():
    s = M.Settings.make("nb201", device="cpu")
    assert (s.input_size, s.image, s.structure) == (32, "cifar10", "")
    assert M.Settings.make("transnas_macro", device="cpu").input_size == 224
    for kw, match in (({"search_space": "transnas_micro"}, "search space"), ({"batch": 0}, "batch"),
                      ({"repeats": 0}, "repeats"), ({"image": "mnist"}, "image"), ({"device": "tpu"}, "device")):
        args = {"search_space": "nb201", "device": "cpu", **kw}
        with pytest.raises(InputError, match=match):
            M.Settings.make(**args)


def test_clock_settings(tmp_path):
    assert M.Settings.make("nb201", device="cpu").clock == "cpu"
    with pytest.raises(InputError, match="clock"):
        M.Settings.make("nb201", device="cpu", clock="sundial")
    s = M.Settings.make("nb201", **TINY, clock="wall")
    frame = M.measure(s, M.select_archs("nb201", 2), tmp_path / "w.csv", progress=False)
    assert np.allclose(frame["median_ms"], frame["wall_median_ms"], rtol=1e-5)


def test_interleaved_groups(tmp_path):
    s = M.Settings.make("nb201", **TINY, interleave=3)
    A = M.select_archs("nb201", 7)
    frame = M.measure(s, A, tmp_path / "i.csv", progress=False)
    assert frame["arch"].tolist() == get_space("nb201").array_to_names(A)     # groups of 3, 3, 1, in order
    assert (frame["median_ms"] > 0).all()
    assert json.loads((tmp_path / "i.csv.json").read_text())["settings"]["interleave"] == 3
    times, wall = M.time_networks([networks.build_network("nb201", a) for a in A[:2]], s)
    assert times.shape == wall.shape == (2, 2) and (times > 0).all()
    with pytest.raises(InputError, match="interleave"):
        M.Settings.make("nb201", **TINY, interleave=0)


def test_reference_network(tmp_path):
    ref = M.AUTO_REFERENCE["nb201"]
    s = M.Settings.make("nb201", **TINY, interleave=2, reference="auto")
    assert s.reference == ref and s.columns == M.COLUMNS + M.REFERENCE_COLUMNS
    assert M.Settings.make("nb201", **TINY, reference="none").reference == ""
    frame = M.measure(s, M.select_archs("nb201", 5), tmp_path / "r.csv", progress=False)
    assert (tmp_path / "r.csv").read_text().splitlines()[0].endswith(",ref_q25_ms,ref_min_ms")
    assert frame["ref_q25_ms"].nunique() <= 3                       # one reference time per group of 2
    assert (frame["ref_min_ms"] <= frame["ref_q25_ms"]).all()
    expected = frame["q25_ms"] / frame["ref_q25_ms"] * frame["ref_q25_ms"].median()
    np.testing.assert_allclose(frame["norm_q25_ms"], expected)
    assert M.test_retest(frame, frame, "norm_q25_ms")["kendalltau"] == pytest.approx(1.0)
    with pytest.raises(InputError, match="column"):
        M.test_retest(frame, frame.drop(columns="norm_q25_ms"), "norm_q25_ms")
    macro = M.Settings.make("transnas_macro", **TINY, reference="64-1234-basic")
    assert macro.reference == "64-1234-basic"
    for bad in ("bogus", "|nor_conv_3x3~0|+|"):
        with pytest.raises(InputError, match="reference"):
            M.Settings.make("nb201", **TINY, reference=bad)


def test_sidecar_from_before_the_reference_resumes(tmp_path):
    out = tmp_path / "old.csv"
    s = M.Settings.make("nb201", **TINY)
    M.measure(s, M.select_archs("nb201", 1), out, progress=False)
    meta = json.loads((tmp_path / "old.csv.json").read_text())
    del meta["settings"]["reference"]                               # written before the field existed
    (tmp_path / "old.csv.json").write_text(json.dumps(meta))
    assert len(M.measure(s, M.select_archs("nb201", 2), out, progress=False)) == 2
    with pytest.raises(InputError, match="other settings"):
        M.measure(M.Settings.make("nb201", **TINY, reference="auto"), M.select_archs("nb201", 3), out,
                  progress=False)


def test_select_archs():
    all_nb = M.select_archs("nb201")
    assert all_nb.shape == (15625, 6) and len(np.unique(all_nb, axis=0)) == 15625
    assert np.array_equal(M.select_archs("nb201", 500), all_nb[:500])
    assert not np.array_equal(M.select_archs("nb201", 500, seed=1), all_nb[:500])
    assert M.select_archs("transnas_macro").shape == (3256, 6)
    for bad in ("some", 0, 20000):
        with pytest.raises(InputError, match="archs"):
            M.select_archs("nb201", bad)


def test_select_archs_from_a_file_of_names(tmp_path):
    from hwlib.spaces import get_space

    names = get_space("nb201").array_to_names(M.select_archs("nb201", 3, seed=5))
    listed = tmp_path / "cells.txt"
    listed.write_text(f"# picked\n{names[2]}\n\n{names[0]}  # the first\n{names[1]}\n")
    np.testing.assert_array_equal(M.select_archs("nb201", listed), get_space("nb201").names_to_array(
        [names[2], names[0], names[1]]))
    listed.write_text(f"{names[0]}\n|nor_conv_3x3~0|\n")
    with pytest.raises(InputError, match="line 2"):
        M.select_archs("nb201", listed)
    listed.write_text(f"{names[0]}\n{names[0]}\n")
    with pytest.raises(InputError, match="twice"):
        M.select_archs("nb201", str(listed))


def test_measure_writes_records_and_resumes(tmp_path):
    out = tmp_path / "m.csv"
    s = M.Settings.make("nb201", **TINY)
    A = M.select_archs("nb201", 4)
    first = M.measure(s, A[:2], out, progress=False)
    assert len(first) == 2 and (first["median_ms"] > 0).all()
    assert (first["q25_ms"] <= first["median_ms"]).all() and (first["min_ms"] <= first["q25_ms"]).all()
    meta = json.loads((tmp_path / "m.csv.json").read_text())
    assert meta["settings"]["input_size"] == 8 and meta["machine"]["torch"]
    both = M.measure(s, A, out, progress=False)
    assert len(both) == 4
    pd.testing.assert_frame_equal(both.iloc[:2], first)          # finished records are kept as they were
    with pytest.raises(InputError, match="other settings"):
        M.measure(M.Settings.make("nb201", **{**TINY, "repeats": 3}), A, out, progress=False)


def test_cut_line_is_dropped_and_repaired(tmp_path):
    out = tmp_path / "m.csv"
    M.measure(M.Settings.make("transnas_macro", **{**TINY, "input_size": 16}),
              M.select_archs("transnas_macro", 2), out, progress=False)
    with open(out, "a") as fh:
        fh.write("64-41414-basic,1.2,1")                          # a crash mid-line
    assert len(M.read_measurements(out)) == 2
    M.read_measurements(out, repair=True)
    assert out.read_text().endswith("\n") and len(out.read_text().splitlines()) == 3
    with open(out, "a") as fh:
        fh.write("garbage\n" + out.read_text().splitlines()[1] + "\n")
    with pytest.raises(DataError, match="malformed"):
        M.read_measurements(out)


def test_duplicate_and_foreign_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not a measurement table"):
        M.read_measurements(bad)
    dup = tmp_path / "dup.csv"
    dup.write_text(",".join(M.COLUMNS) + "\n" + "64-41414-basic,1,1,1,1,1,2,0\n" * 2)
    with pytest.raises(DataError, match="twice"):
        M.read_measurements(dup)
    with pytest.raises(DataError, match="not found"):
        M.read_measurements(tmp_path / "none.csv")
    word = tmp_path / "word.csv"
    word.write_text(",".join(M.COLUMNS + M.REFERENCE_COLUMNS) + "\n" + "64-41414-basic,1,1,1,1,1,2,0,fast,1\n")
    with pytest.raises(DataError, match="'ref_q25_ms' holds 'fast'"):
        M.read_measurements(word)
    binary = tmp_path / "binary.csv"   # a bad byte far below the header
    binary.write_bytes((",".join(M.COLUMNS) + "\n").encode() + b"64-41414-basic,1,1,1,1,1,2,0\n" * 400 + b"\xff\n")
    with pytest.raises(DataError, match="not a text file"):
        M.read_measurements(binary)


def test_one_process_per_measurement_file(tmp_path):
    out, s = tmp_path / "m.csv", M.Settings.make("nb201", **TINY)
    A = M.select_archs("nb201", 2)
    M.measure(s, A[:1], out, progress=False)
    with M._claimed(out), pytest.raises(InputError, match="in use by another process"):
        M.measure(s, A, out, progress=False)          # (flock: another open file description)
    with M._claimed(out), pytest.raises(InputError, match="in use"):
        M.merge_measurements(out, out)
    assert len(M.measure(s, A, out, progress=False)) == 2     # free again
    (tmp_path / "m.csv.json").unlink()
    with pytest.raises(InputError, match="description m.csv.json is missing"):
        M.measure(s, A, out, progress=False)
    (tmp_path / "m.csv.json").write_text("{not json")
    with pytest.raises(DataError, match="unreadable measurement description"):
        M.measure(s, A, out, progress=False)


def test_killed_and_resumed(tmp_path):
    out = tmp_path / "k.csv"
    args = ["measure", "--space", "nb201", "--archs", "60", "--input-size", "8", "--warmup", "0",
            "--repeats", "1", "--device", "cpu", "--json", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(Path(M.__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "hwlib", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.is_file() or len(out.read_text().splitlines()) < 4):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = M.read_measurements(out)
    assert 3 <= len(before) < 60
    assert main(args) == 0
    after = M.read_measurements(out)
    assert len(after) == 60 and after["arch"].is_unique
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)


def test_two_ends_merge(tmp_path, capsys):
    main_file, other = tmp_path / "a.csv", tmp_path / "b.csv"
    common = ["measure", "--space", "nb201", "--archs", "6", "--input-size", "8", "--warmup", "0",
              "--repeats", "1", "--device", "cpu", "--json"]
    s = M.Settings.make("nb201", **{**TINY, "repeats": 1})
    A = M.select_archs("nb201", 6)
    M.measure(s, A[:2], main_file, progress=False)
    assert main(common + ["--out", str(other), "--reverse", "--skip-from", str(main_file)]) == 0
    assert set(M.read_measurements(other)["arch"]) == set(M.read_measurements(main_file)["arch"]) ^ \
        set(get_space("nb201").array_to_names(A))
    capsys.readouterr()
    assert main(common + ["--out", str(main_file), "--merge-from", str(other)]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 4
    assert len(M.read_measurements(main_file)) == 6 and M.merge_measurements(other, main_file) == 0
    M.measure(M.Settings.make("nb201", **TINY), A[:1], tmp_path / "c.csv", progress=False)
    with pytest.raises(InputError, match="other settings"):
        M.merge_measurements(tmp_path / "c.csv", main_file)
    ref = M.Settings.make("nb201", **{**TINY, "repeats": 1}, reference="auto")     # merged files keep their columns
    M.measure(ref, A[:3], tmp_path / "r1.csv", progress=False)
    M.measure(ref, A[3:], tmp_path / "r2.csv", progress=False)
    assert M.merge_measurements(tmp_path / "r2.csv", tmp_path / "r1.csv") == 3
    assert (tmp_path / "r1.csv").read_text().splitlines()[0] == ",".join(ref.columns)
    assert len(M.read_measurements(tmp_path / "r1.csv")) == 6


def test_test_retest():
    a = pd.DataFrame({"arch": list("abcdef"), "median_ms": [1.0, 2, 3, 4, 5, 6]})
    b = pd.DataFrame({"arch": list("fedcba"), "median_ms": [6.5, 5, 4, 3, 2.2, 0.9]})
    r = M.test_retest(a, b)
    assert r["n"] == 6 and r["kendalltau"] == pytest.approx(1.0)
    b2 = b.assign(median_ms=b["median_ms"].to_numpy()[::-1])
    assert M.test_retest(a, b2)["kendalltau"] == pytest.approx(-1.0)
    with pytest.raises(InputError, match="at least 3"):
        M.test_retest(a.iloc[:2], b)


def test_retest_command(tmp_path, capsys):
    s = M.Settings.make("nb201", **TINY, interleave=2, reference="auto")
    A = M.select_archs("nb201", 6)
    M.measure(s, A, tmp_path / "a.csv", progress=False)
    M.measure(s, A[:5], tmp_path / "b.csv", progress=False)
    capsys.readouterr()
    assert main(["retest", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 5 and set(report) >= {"median_ms", "min_ms", "norm_q25_ms"}
    assert -1 <= report["norm_q25_ms"]["kendalltau"] <= 1 and "drift_lag1" in report["min_ms"]
    assert main(["retest", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 0
    assert "norm_q25_ms" in capsys.readouterr().out
    assert main(["retest", str(tmp_path / "a.csv"), str(tmp_path / "missing.csv")]) == 2
    assert "not found" in capsys.readouterr().err


def test_drift_correlation():
    order = [f"a{i}" for i in range(40)]
    first = pd.DataFrame({"arch": order[::-1], "min_ms": np.ones(40)})
    slow = 1 + 0.5 * np.sin(np.arange(40) / 6)                      # a slow drift along the second pass
    second = pd.DataFrame({"arch": order, "min_ms": slow})
    assert M.drift_correlation(first, second, lags=(1,))[1] > 0.9
    noisy = second.assign(min_ms=np.random.default_rng(0).lognormal(0, 0.1, 40))
    assert abs(M.drift_correlation(first, noisy, lags=(1,))[1]) < 0.4
    with pytest.raises(InputError, match="column"):
        M.drift_correlation(first, second, "norm_q25_ms")


def test_cli_errors(capsys, tmp_path):
    assert main(["measure", "--space", "nb201", "--archs", "lots", "--out", str(tmp_path / "x.csv")]) == 2
    assert "archs" in capsys.readouterr().err
    assert main(["measure", "--space", "nb201", "--batch", "0", "--out", str(tmp_path / "x.csv")]) == 2


def test_cli_counts(tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert main(["measure", "--counts", "--space", "transnas_macro", "--input-size", "32", "--out", str(out),
                 "--json"]) == 0
    table = pd.read_csv(out)
    assert len(table) == 3256 and json.loads(capsys.readouterr().out)["architectures"] == 3256
