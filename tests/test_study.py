"""The full-study runner on a tiny grid: plan, run (resume, budget, Ctrl-C, processes, Dask), verify."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hwlib import study
from hwlib.cli import main
from hwlib.errors import InputError
from hwlib.store import Store

TINY = dict(profile="quick", predictors=["lr", "ridge"], datasets=["cifar10-raspi4_latency"])


@pytest.fixture
def store(tmp_path, require_data):
    return Store(tmp_path / "results")


def _frame(store):
    frames = [store.records(t) for t in store.tables("predictors")]
    return pd.concat(frames).sort_values("key").drop(columns=["fit_time", "query_time", "run"]).reset_index(drop=True)


def test_plan_run_and_resume(store, monkeypatch):
    before = study.plan(**TINY, store=store)
    assert before["cells_total"] == 2 * 3 * 4 and before["cells_done"] == 0 and before["cpu_hours_left"] > 0
    assert {r["predictor"] for r in before["by_predictor"]} == {"lr", "ridge"}
    out = study.run(**TINY, store=store, progress=False)
    assert out == {**out, "groups_done": 8, "cells_done": 24, "stopped": "complete"}
    after = study.plan(**TINY, store=store)
    assert after["cells_done"] == 24 and after["cpu_hours_left"] == 0 and after["cpu_hours_done"] > 0
    monkeypatch.setattr(study, "_compute_group", lambda *a: pytest.fail("a stored cell was recomputed"))
    assert study.run(**TINY, store=store, progress=False)["cells_done"] == 0
    provenance = store.provenance()
    assert len(provenance) == 1 and {"commit", "cpu", "libraries", "hwlib"} <= set(next(iter(provenance.values())))


def test_budget_and_interrupt_lose_no_finished_group(store, monkeypatch):
    assert study.run(**TINY, store=store, budget=0, progress=False)["stopped"] == "budget"
    assert store.tables() == []
    real, calls = study._compute_group, []

    def interrupted(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)
    monkeypatch.setattr(study, "_compute_group", interrupted)
    out = study.run(**TINY, store=store, progress=False)
    assert out["stopped"] == "interrupted" and out["groups_done"] == 2
    assert study.plan(**TINY, store=store)["cells_done"] == 6


def test_runs_sharing_a_results_folder_share_out_the_groups(store, monkeypatch):
    first = study.grid(**TINY)[0]
    held = study._Claims(store.root)
    assert held.take(first)                       # another runner computes this group
    out = study.run(**TINY, store=store, progress=False)
    assert out == {**out, "groups_done": 7, "cells_done": 21, "claimed_elsewhere": 1, "stopped": "complete"}
    held.release(first)
    assert study.run(**TINY, store=store, progress=False)["cells_done"] == 3

    # a run that finds a group stored by the other meanwhile passes over it
    other = Store(store.root.parent / "other")
    real, computed = study._compute_group, []

    def compute(*args):
        computed.append(args[:3])
        if len(computed) == 1:                    # while this group runs, another run does the rest
            inner = study.run(**TINY, store=other, progress=False)
            assert inner["groups_done"] == 7 and inner["claimed_elsewhere"] == 1
        return real(*args)
    monkeypatch.setattr(study, "_compute_group", compute)
    assert study.run(**TINY, store=other, progress=False)["groups_done"] == 1
    assert len(computed) == len(set(computed)) == 8 and study.plan(**TINY, store=other)["cells_done"] == 24


def test_a_group_runs_in_its_predictors_stacks_each_stored_as_it_finishes(store, monkeypatch):
    from hwlib.predictors import get_spec

    group = study.grid("full", ["bonas"], ["cifar10-raspi4_latency"])[-1]     # 50 seeds at 15000
    parts = study._parts(group, {group.table: set()})
    assert [len(p.seeds) for p in parts] == [5] * 10                        # BONAS' stacks
    assert sum((p.seeds for p in parts), ()) == group.seeds and sum((p.keys for p in parts), ()) == group.keys
    later = study._parts(group, {group.table: set(group.keys[:7])})         # the same boundaries
    assert [p.seeds[0] for p in later] == list(range(5, 50, 5))

    monkeypatch.setattr(get_spec("lr").regressor_class(), "_stack_limit", lambda self, n: 2, raising=False)
    real, calls = study._compute_group, []

    def interrupted(*args):
        calls.append(list(args[3]))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)
    monkeypatch.setattr(study, "_compute_group", interrupted)
    lr = dict(TINY, predictors=["lr"])
    out = study.run(**lr, store=store, progress=False)
    assert out["stopped"] == "interrupted" and out["groups_done"] == 1 and calls == [[0, 1], [2]]
    assert study.plan(**lr, store=store)["cells_done"] == 2                 # the finished stack is kept


def test_plan_lists_the_missing_groups_in_run_order(store, monkeypatch):
    first = study.grid(**TINY)[0]
    held = study._Claims(store.root)
    assert held.take(first)                       # a runner computes this group now
    missing = study.plan(**TINY, store=store)["missing"]
    assert len(missing) == 8 and {m["cells_missing"] for m in missing} == {3}
    assert [(m["predictor"], m["train_size"]) for m in missing if m["running"]] == [
        (first.predictor, first.train_size)]
    held.release(first)
    assert not any(m["running"] for m in study.plan(**TINY, store=store)["missing"])

    real, order = study._compute_group, []
    monkeypatch.setattr(study, "_compute_group", lambda *a: order.append(a[:3]) or real(*a))
    study.run(**TINY, store=store, progress=False, max_groups=3)
    cell = lambda m: (m["dataset"], m["predictor"], m["train_size"])  # noqa: E731
    assert order == [cell(m) for m in missing[:3]]
    assert {cell(m) for m in study.plan(**TINY, store=store)["missing"]} == {cell(m) for m in missing[3:]}
    study.run(**TINY, store=store, progress=False)
    assert study.plan(**TINY, store=store)["missing"] == []


def test_cli_run_stops_cleanly_on_sigterm(tmp_path, monkeypatch, capsys, require_data):
    import os
    import signal

    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(tmp_path / "results"))
    real, calls = study._compute_group, []

    def killed(*args):                  # `kill` of a background runner while its third group computes
        calls.append(args)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(*args)
    monkeypatch.setattr(study, "_compute_group", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["study", "run", "--profile", "quick", "--predictors", "lr,ridge",
                 "--datasets", "cifar10-raspi4_latency"]) == 130
    assert "stopped: interrupted" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGTERM) is before            # the handler is put back
    assert study.plan(**TINY, store=Store(tmp_path / "results"))["cells_done"] == 6


def test_processes_and_dask_give_the_same_records(tmp_path, store):
    distributed = pytest.importorskip("distributed")
    study.run(**TINY, store=store, progress=False)
    pooled = Store(tmp_path / "pooled")
    assert study.run(**TINY, store=pooled, jobs=2, progress=False)["cells_done"] == 24
    pd.testing.assert_frame_equal(_frame(pooled), _frame(store))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        dask = Store(tmp_path / "dask")
        out = study.run(**TINY, store=dask, scheduler=cluster.scheduler_address, progress=False)
    assert out["cells_done"] == 24
    pd.testing.assert_frame_equal(_frame(dask), _frame(store))


def test_verify_names_a_tampered_cell(store):
    study.run(**TINY, store=store, progress=False)
    assert study.verify(5, store=store)["differ"] == []
    table = store.tables()[0]
    path = store.root / f"{table}.csv"
    frame = pd.read_csv(path, float_precision="round_trip")
    frame.loc[0, "kendalltau"] += 1e-6
    frame.to_csv(path, index=False)
    out = study.verify(24, store=store)
    assert out["checked"] == 12 * 2 and len(out["differ"]) == 1
    bad = out["differ"][0]
    assert (bad["train_size"], bad["seed"]) == (int(frame.loc[0, "train_size"]), int(frame.loc[0, "seed"]))
    assert set(bad["metrics"]) == {"kendalltau"}


def test_agreement_with_committed_cells(store):
    from hwlib.experiments import run_study

    study.run(**TINY, store=store, progress=False)
    # a variant of the same cells (other parameters) is committed beside them; it is not compared
    run_study(["cifar10-raspi4_latency"], ["ridge"], [11], range(2), params={"ridge": {"alpha": 50.0}}, store=store,
              progress=False)
    again = run_study(["cifar10-raspi4_latency"], ["lr", "ridge"], [11, 55], range(2),
                      store=Store(store.root.parent / "c"), progress=False)
    check = study.agreement(again, store)
    assert (check["shared"], check["differ"], check["max_abs_diff"]) == (8, 0, 0.0)
    assert check["other_kernels"]["cells"] == 0     # made here: on this machine's kernels


def _other_kernels(store):
    """Rewrite the provenance of every run in ``store`` as if another CPU's kernels had made them."""
    path = store.root / "provenance.json"
    runs = json.loads(path.read_text())
    for entry in runs.values():
        entry["kernels"] = {"blas": "openblas SkylakeX 0.3.31", "torch": "AVX512"}
    path.write_text(json.dumps(runs))


def test_records_of_other_kernels_are_compared_in_the_mean(store):
    study.run(**TINY, store=store, progress=False)
    table = store.tables()[0]
    path = store.root / f"{table}.csv"
    frame = pd.read_csv(path, float_precision="round_trip")
    frame.loc[0, "kendalltau"] += 1e-3                   # what another CPU's rounding may do to one cell
    frame.to_csv(path, index=False)
    assert len(study.verify(24, store=store)["differ"]) == 1     # on this machine's kernels: exact
    _other_kernels(store)
    out = study.verify(24, store=store)
    assert out["differ"] == [] and out["other_kernels"]["cells"] == 24 and out["other_kernels"]["exact"] == 23
    assert not out["other_kernels"]["systematic"]
    frame["kendalltau"] -= 0.05                          # every cell of one table shifted: not rounding
    frame.to_csv(path, index=False)
    out = study.verify(24, store=store)
    assert out["other_kernels"]["systematic"] and "24 cells made on other kernels shift Kendall tau by +0.02" \
        in out["differ"][-1]["reason"]


def test_a_run_on_another_vendors_cpu_made_its_records_on_other_kernels(store):
    from hwlib.machine import cpu_vendor, kernels

    assert cpu_vendor("AMD EPYC 9B14") == "AMD" and cpu_vendor("Intel(R) Xeon(R) Processor") == "Intel"
    study.run(**TINY, store=store, progress=False)
    run = next(iter(store.provenance()))
    same = study.same_kernels(store)
    assert same(run)
    path = store.root / "provenance.json"
    runs = json.loads(path.read_text())
    other = "Intel(R) Xeon(R) Processor" if cpu_vendor() == "AMD" else "AMD EPYC 9B14"
    for entry in runs.values():     # the same BLAS and torch kernels on another vendor's CPU, recorded
        entry["kernels"] = {k: v for k, v in kernels().items() if k != "vendor"}   # without the vendor
        entry["cpu"] = other
    path.write_text(json.dumps(runs))
    assert not study.same_kernels(Store(store.root))(run)   # torch's MKL picks other code there


def test_kernel_shift_tells_rounding_from_a_systematic_change():
    noise = [(0.5, 0.5 + d) for d in (0.02, -0.02, 0.01, -0.01, 0.0)]
    assert study.kernel_shift(noise) == {"cells": 5, "exact": 1, "mean": pytest.approx(0.0), "se": pytest.approx(
        0.00707, abs=1e-4), "systematic": False}
    assert study.kernel_shift([(0.5, 0.53 + d) for d in (0.001, -0.001, 0.0)])["systematic"]
    assert study.kernel_shift([])["cells"] == 0


def test_provenance_names_the_kernels_this_machine_computes_with():
    from hwlib.machine import kernels
    from hwlib.store import provenance

    here = kernels()
    assert provenance()["kernels"] == here and here.get("torch") and "blas" in here


def test_bad_names_and_durations():
    with pytest.raises(InputError, match="unknown predictor"):
        study.grid("quick", predictors=["nope"])
    with pytest.raises(InputError, match="unknown profile"):
        study.grid("Full")
    assert study.parse_duration("1h30m") == 5400 and study.parse_duration("90s") == 90 and study.parse_duration("2") == 2
    with pytest.raises(InputError, match="--budget"):
        study.parse_duration("soon")


@pytest.mark.parametrize("sample", [0, -1, 2.5, True])
def test_verify_refuses_a_bad_sample(store, sample):
    with pytest.raises(InputError, match="sample must be an integer >= 1"):
        study.verify(sample, store=store)


def test_bad_verify_filters_and_scheduler_are_named(store):
    with pytest.raises(InputError, match="unknown predictor.s. for the study: foo"):
        study.verify(2, store=store, predictors=["foo"])
    with pytest.raises(InputError, match="no stored cells to verify in .* of lr with a fit time of at most -1 s"):
        study.verify(2, store=store, predictors=["lr"], max_fit_time=-1)
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="--scheduler nonsense://x: no Dask scheduler answers there"):
        study.run(**TINY, store=store, scheduler="nonsense://x", progress=False)


def test_cli(store, monkeypatch, capsys):
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(store.root))
    assert main(["study", "plan", "--profile", "quick", "--predictors", "lr", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {"cells_total", "cells_done", "cpu_hours_done", "cpu_hours_left", "by_predictor"} <= set(plan)
    assert plan["tuning"]["cells_done"] == 0 < plan["tuning"]["cells_total"] and "missing" not in plan
    assert main(["study", "plan", "--profile", "quick", "--predictors", "lr", "--datasets", "cifar10-raspi4_latency",
                 "--missing"]) == 0
    out = capsys.readouterr().out
    assert "groups lacking cells (4), in the order `hwlib study run` takes them" in out
    assert out.count(" lr ") == 4
    assert main(["study", "run", "--profile", "quick", "--predictors", "lr", "--datasets",
                 "cifar10-raspi4_latency", "--budget", "5m"]) == 0
    assert "12 cells" in capsys.readouterr().out
    assert main(["study", "verify", "--sample", "3"]) == 0
    capsys.readouterr()
    assert main(["study", "run", "--profile", "nope"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _committed():
    from hwlib.paths import results_dir

    store = Store(results_dir())
    if not store.tables("predictors"):
        pytest.skip("no committed results in results/")
    return store


def test_committed_results_still_come_from_the_code(require_data):
    """CI's sample of `hwlib study verify`: cheap committed cells recomputed, bit for bit where this
    machine has the kernels that made them, in the mean where another CPU's did."""
    out = study.verify(6, seed=1, store=_committed(), max_fit_time=0.5)
    assert out["checked"] == 6 and out["differ"] == []


def test_quick_profile_agrees_with_committed_cells(require_data, tmp_path):
    committed = _committed()
    quick = study.results("quick", store=Store(tmp_path), predictors=["lr", "ridge", "blr"])
    check = study.agreement(quick, committed)
    assert check["shared"] > 0 and check["differ"] == 0


def test_background_runs_at_the_lowest_priority_and_touches_only_its_own_session():
    import subprocess
    import sys

    code = ("import os; from hwlib.cli import _lowest_priority; _lowest_priority(); print(os.nice(0)); "
            "print(open('/proc/self/autogroup').read() if os.path.exists('/proc/self/autogroup') else '')")

    def run(new_session: bool) -> list[str]:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              start_new_session=new_session).stdout.split("\n")

    own, shared = run(True), run(False)
    assert own[0] == shared[0] == "19"
    if own[1]:                         # Linux with autogroups: a session of its own yields as a whole
        assert own[1].endswith("nice 19")
        with open("/proc/self/autogroup") as handle:   # this (shared) session's group is untouched
            assert shared[1] == handle.read().strip()
