"""The tuning experiment: tuned cells stored and resumed, paired with the defaults, verified."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hwlib import tuning
from hwlib.cli import main
from hwlib.errors import InputError
from hwlib.store import Store

MACRO = "transnas_macro-cpu_latency"
MACRO_GROUP, MICRO_GROUP = tuning.GROUPS["transnas_macro"], tuning.GROUPS["transnas_micro"]
TINY = dict(tuning_datasets=(MACRO,), tuning_predictors=("ridge",), tuning_size_indices=(2, 3),
            tuning_seeds=2, tuning_max_iter=3)


@pytest.fixture
def store(tmp_path, require_data):
    return Store(tmp_path / "results")


def test_run_stores_tuned_cells_and_resumes(store, monkeypatch):
    assert tuning.progress("quick", store, **TINY) == {"cells_total": 4, "cells_done": 0, "cpu_hours_done": 0.0}
    tuned = tuning.run("quick", store, progress=False, **TINY)
    done = tuning.progress("quick", store, **TINY)
    assert done["cells_done"] == 4 and done["cpu_hours_done"] == pytest.approx(tuned["fit_time"].sum() / 3600)
    assert len(tuned) == 2 * 2 and set(tuned["nominal_train_size"]) == {18, 34}
    assert (tuned["hpo_n_tried"] == 3).all() and (tuned["max_iter"] == 3).all()
    assert store.tables("tuning") == [f"tuning/{MACRO}/ridge"]
    monkeypatch.setattr(tuning, "run_cells", lambda *a, **k: pytest.fail("a stored cell was recomputed"))
    again = tuning.run("quick", store, progress=False, **TINY)
    pd.testing.assert_frame_equal(again, tuned)
    with pytest.raises(BaseException, match="recomputed"):   # another number of candidates is another cell
        tuning.run("quick", store, progress=False, **{**TINY, "tuning_max_iter": 4})


def test_budget_starts_no_group(store):
    assert tuning.run("quick", store, budget=0, progress=False, **TINY).empty
    assert store.tables("tuning") == []


def test_tuning_a_search_that_only_has_the_defaults_equals_the_default_fit(store):
    tuned, defaults = tuning.results("quick", store, **{**TINY, "tuning_max_iter": 1})
    pair = tuned.merge(defaults[defaults["predictor"] == "ridge"], on=["dataset", "train_size", "seed"])
    assert len(pair) == 4 and np.allclose(pair["kendalltau_x"], pair["kendalltau_y"])
    table = tuning.effect(tuned, defaults)
    assert (table["gain"] == 0).all() and (table["kept_defaults"] == 1).all()
    assert {"lr", "ridge", "mlp_small", "lgb"} <= set(defaults["predictor"])      # the competitors
    assert not {"gcn", "bananas"} & set(defaults["predictor"])                   # not on the macro space


def _frame(predictor, taus, dataset="transnas_micro-jigsaw", size=65, fit=1.0, params=None):
    return pd.DataFrame({"dataset": dataset, "predictor": predictor, "train_size": size, "nominal_train_size": size,
                         "seed": range(len(taus)), "kendalltau": taus, "fit_time": fit,
                         "hpo_best_params": [params if params is not None else {}] * len(taus)})


def test_effect_pairs_by_cell_and_averages_each_group(require_data):
    defaults = pd.concat([_frame("mlp_small", [0.4, 0.5, 0.6]),
                          _frame("mlp_small", [0.2, 0.3, 0.4], "transnas_micro-room_layout"),
                          _frame("mlp_small", [0.9, 0.9, 0.9], "transnas_micro-class_scene"),   # not tuned: left out
                          _frame("mlp_small", [0.7, 0.7, 0.7], MACRO), _frame("ridge", [0.8, 0.8, 0.8], MACRO)])
    tuned = pd.concat([_frame("mlp_small", [0.5, 0.5, 0.9], fit=10.0, params={"lr": 0.01}),
                       _frame("mlp_small", [0.3, 0.3, 0.5], "transnas_micro-room_layout", fit=10.0),
                       _frame("mlp_small", [0.9, 0.7, 0.9], MACRO, fit=30.0, params={"lr": 0.01})])
    table = tuning.effect(tuned, defaults).set_index("group")
    micro, macro = table.loc[MICRO_GROUP], table.loc[MACRO_GROUP]
    assert micro["default"] == pytest.approx(0.4)
    assert micro["gain"] == pytest.approx(np.mean([0.1, 0.0, 0.2]))
    assert micro["se"] == pytest.approx(pd.Series([0.1, 0.0, 0.2]).sem())
    assert micro["tuned_better"] == pytest.approx(2 / 3) and micro["kept_defaults"] == pytest.approx(0.5)
    assert micro["fit_factor"] == pytest.approx(10.0) and macro["fit_factor"] == pytest.approx(30.0)
    assert micro["fit_seconds"] == pytest.approx(10.0)
    assert macro["gain"] == pytest.approx(0.4 / 3) and macro["seeds"] == 3
    best = tuning.standing(tuned, defaults).set_index("group").loc[MACRO_GROUP]
    assert (best["best_default"], best["best_tuned"]) == ("ridge", "mlp_small")
    assert best["tau_tuned"] == pytest.approx(2.5 / 3) and best["mlp_best"] and best["cells"] == 3
    micro_best = tuning.standing(tuned, defaults).set_index("group").loc[MICRO_GROUP]
    assert micro_best["tau_default"] == pytest.approx(0.4) and micro_best["cells"] == 6
    undefined = tuned.copy()      # a tau undefined on one side (constant predictions): that cell leaves both
    undefined.loc[(undefined["dataset"] == MACRO) & (undefined["seed"] == 0), "kendalltau"] = np.nan
    macro = tuning.effect(undefined, defaults).set_index("group").loc[MACRO_GROUP]
    assert macro["tuned"] - macro["default"] == pytest.approx(macro["gain"]) and macro["seeds"] == 2
    assert macro["default"] == pytest.approx(0.7) and macro["tuned"] == pytest.approx(0.8)
    chosen = tuning.choices(tuned).set_index("parameter").loc["lr"]
    assert (chosen["statistic"], chosen["value"], chosen["share"], chosen["runs_changed"], chosen["runs"]) == (
        "most often", 0.01, 1.0, 6, 9)


def test_choices_summarise_a_parameter_of_many_values_by_its_median():
    rates = np.geomspace(1e-4, 1e-1, tuning.MANY_VALUES + 1)          # every search picked another rate
    tuned = pd.concat([_frame("bonas", [0.5], size=25, params={"lr": float(r), "hidden": 64}) for r in rates])
    chosen = tuning.choices(tuned).set_index("parameter")
    assert chosen.loc["lr", "statistic"] == "median" and chosen.loc["lr", "value"] == pytest.approx(np.median(rates))
    assert np.isnan(chosen.loc["lr", "share"])
    assert (chosen.loc["hidden", "statistic"], chosen.loc["hidden", "value"], chosen.loc["hidden", "share"]) == (
        "most often", 64, 1.0)


def test_verify_refuses_a_bad_sample(store):
    with pytest.raises(InputError, match="sample must be an integer >= 1"):
        tuning.verify(-1, store=store)


def test_bad_settings_are_named():
    with pytest.raises(InputError, match="not tuned by the protocol: lr"):
        tuning.grid("quick", tuning_predictors=("lr",))
    with pytest.raises(InputError, match="tuning_size_indices"):
        tuning.grid("quick", tuning_size_indices=(11,))
    with pytest.raises(InputError, match="tuning_hwnas_size_indices"):
        tuning.grid("quick", tuning_hwnas_size_indices=(11,))


def test_each_benchmark_tunes_its_own_sizes_and_predictors(require_data):
    groups, _ = tuning.grid("quick", tuning_predictors=("ridge", "bonas"), tuning_size_indices=(3,),
                            tuning_hwnas_size_indices=(1, 2))
    got = {(ds.search_space, predictor, n) for ds, predictor, n, _, _ in groups}
    # BONAS only where the paper compared it (HW-NAS-Bench); TransNAS 34, HW-NAS 11 and 25 samples
    assert got == {("transnas_macro", "ridge", 34), ("nb201", "ridge", 11), ("nb201", "ridge", 25),
                   ("nb201", "bonas", 11), ("nb201", "bonas", 25)}


def test_verify_names_a_tampered_cell(store):
    tuning.run("quick", store, progress=False, **TINY)
    assert tuning.verify(2, store=store, progress=False)["differ"] == []
    path = store.root / f"tuning/{MACRO}/ridge.csv"
    frame = pd.read_csv(path, float_precision="round_trip")
    frame.loc[0, "kendalltau"] += 1e-3
    frame.to_csv(path, index=False)
    out = tuning.verify(4, store=store, progress=False)
    assert out["checked"] == 4 and [(d["train_size"], d["seed"]) for d in out["differ"]] == \
        [(int(frame.loc[0, "train_size"]), int(frame.loc[0, "seed"]))]


def test_cli(tmp_path, monkeypatch, capsys, require_data):
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    assert main(["study", "tune", "--profile", "quick", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["predictor"] for r in rows} == {"ridge", "mlp_small"}
    assert {"default", "tuned", "gain", "se", "kept_defaults", "fit_factor"} <= set(rows[0])
    assert main(["study", "tune", "--profile", "fast"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(tmp_path))       # the quick cells, verified as if committed
    assert main(["study", "verify", "--tuning", "--sample", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checked"] == 2


def test_committed_tuning_cells_still_come_from_the_code(require_data):
    """CI's sample of `hwlib study verify --tuning`: cheap committed tuned cells recomputed."""
    from hwlib.paths import results_dir

    committed = Store(results_dir())
    if not committed.tables("tuning"):
        pytest.skip("no committed tuning cells in results/")
    out = tuning.verify(3, seed=2, store=committed, max_fit_time=1.0, progress=False)
    assert out["checked"] == 3 and out["differ"] == []


def test_claim_note_counts_the_sizes_an_mlp_is_best():
    best = pd.DataFrame([{"group": MACRO_GROUP, "train_size": n, "best_default": d, "tau_default": 0.5,
                          "best_tuned": t, "tau_tuned": 0.6, "mlp_best": t.startswith("mlp")}
                         for n, d, t in [(18, "ridge", "ridge"), (65, "ridge", "mlp_small"),
                                         (234, "mlp_small", "mlp_small")]])
    note = tuning.claim_note(best)
    assert "on TransNAS macro (this CPU) an MLP is best at 2 of 3 sizes (65, 234; at the defaults: 1)" in note
    assert tuning.claim_note(best.iloc[:0]) == ""
    hwnas = best.assign(group=tuning.GROUPS["nb201"])           # a TransNAS claim: HW-NAS rows say nothing
    assert tuning.claim_note(pd.concat([best, hwnas])) == note and tuning.claim_note(hwnas) == ""


def test_groups_and_competitors_follow_the_benchmark(require_data):
    assert tuning._group("cifar10-pixel3_latency") == "HW-NAS-Bench" and tuning._group(MACRO) == MACRO_GROUP
    assert "gcn" in tuning._competitors("cifar10-pixel3_latency", ["gcn", "ridge"])
    assert tuning._competitors("transnas_micro-jigsaw", ["gcn", "ridge"]) == ["ridge"]   # one-hot, as the paper


def test_few_sample_claims_swap_in_the_tuned_cells_and_keep_to_complete_ones():
    """A slow predictor that tuning makes quick flips the 'at most 60' claim; an incomplete cell is left out."""
    def rows(predictor, tau, sizes=(5, 11, 25, 55), seeds=(0, 1)):
        return pd.DataFrame([{"benchmark": "hwnas", "dataset": "cifar10-a", "predictor": predictor, "train_size": n,
                              "nominal_train_size": n, "seed": s, "kendalltau": tau(n), "fit_time": 1.0}
                             for n in sizes for s in seeds])
    quick = lambda n: 0.3 + 0.1 * np.log(n)                 # beats 0.4 from about 3 samples on
    results = pd.concat([rows("lr", quick), rows("ridge", quick), rows("mlp_large", lambda n: 0.1)])
    tuned = pd.concat([rows("mlp_large", quick, (11, 25, 55)), rows("ridge", quick, (11, 25, 55)),
                       rows("mlp_large", quick, (55,), seeds=(2,))])   # no ridge beside it: not complete
    claims, cells = tuning.few_sample_claims(results, tuned, pd.Series({"hwnas": 0.4}))
    claims = claims.set_index("paper")
    assert cells == {11: 2, 25: 2, 55: 2}
    assert claims.loc["at most 60", "verdict_default"] == "differs"
    assert claims.loc["at most 60", "verdict_tuned"] == "reproduced"
    assert claims.loc["at most 60", "default"] == "1 never beat it within the sizes run"
    assert list(claims.index) == list(tuning.FEW_SAMPLE_CLAIMS)
    empty, none = tuning.few_sample_claims(results, tuned.iloc[:0], pd.Series({"hwnas": 0.4}))
    assert empty.empty and none == {}


def test_standing_reads_each_benchmarks_own_tuned_predictors(require_data):
    """BONAS is tuned on HW-NAS-Bench alone: the macro cells are complete without it."""
    hw = "cifar10-raspi4_latency"
    defaults = pd.concat([_frame("ridge", [0.7, 0.7], MACRO), _frame("mlp_small", [0.6, 0.6], MACRO),
                          _frame("gcn", [0.8, 0.8], hw, size=25), _frame("bonas", [0.5, 0.5], hw, size=25)])
    tuned = pd.concat([_frame("mlp_small", [0.9, 0.9], MACRO), _frame("bonas", [0.85, 0.9], hw, size=25),
                       _frame("mlp_small", [0.1], hw, size=25)])   # one seed only: that cell is incomplete
    best = tuning.standing(tuned, defaults).set_index("group")
    assert best.loc[MACRO_GROUP, "best_tuned"] == "mlp_small" and best.loc[MACRO_GROUP, "cells"] == 2
    hw_row = best.loc[tuning.GROUPS["nb201"]]
    assert (hw_row["best_default"], hw_row["best_tuned"], hw_row["cells"]) == ("gcn", "bonas", 1)
