"""The reproduction scorecard: verdicts, reasons and counts on small frames built here."""

import itertools

import numpy as np
import pandas as pd
import pytest

from hwlib import scorecard
from hwlib.simulation import PUBLISHED, SIZES, STDS


@pytest.fixture(autouse=True)
def no_stand_ins(monkeypatch):
    """The paper's datasets 'at hand' unless a test says otherwise (no data files needed)."""
    monkeypatch.setattr(scorecard, "_stand_in", lambda benchmark: None)


def test_verdict_uses_the_tolerance_of_its_kind():
    tol = scorecard.TOLERANCE["kendalltau"]
    assert scorecard.verdict(0.5, 0.5 + tol * 0.9, "kendalltau") == "reproduced"
    assert scorecard.verdict(0.5, 0.5 - tol * 1.1, "kendalltau") == "differs"
    assert scorecard.verdict(0.5, np.nan, "kendalltau") == "not run"
    assert scorecard.verdict(5000, 6400, "count") == "reproduced"     # 28 % off, relative tolerance 30 %
    assert scorecard.verdict(5000, 6600, "count") == "differs"


def _table1_frame(lut_shift=0.0):
    rows = [("cifar10-fpga_latency", "fpga", "latency", 0.99, 0.97)]
    rows += [(f"transnas_micro-task{i}", "tesla_v100", "latency", 0.60, 0.70) for i in range(5)]
    frame = pd.DataFrame(rows, columns=["dataset", "device", "metric", "paper_lut", "paper_lr"])
    frame["lut"] = frame["paper_lut"] + lut_shift
    frame["lr"] = frame["paper_lr"] + np.linspace(-0.1, 0.1, len(frame))   # TransNAS tasks average to the paper's
    return frame


def test_table1_averages_the_transnas_tasks_into_one_column():
    rows = pd.DataFrame(scorecard.table1_rows(_table1_frame(), seeds=50))
    v100 = rows[rows["quantity"].str.contains("tesla_v100")]
    assert len(rows) == 4 and len(v100) == 2
    lr = v100[v100["quantity"].str.startswith("Linear")].iloc[0]
    assert lr["ours"] == pytest.approx(np.mean(np.linspace(-0.1, 0.1, 6)[1:]) + 0.70)
    assert "mean of 5" in lr["note"]


def test_table1_notes_the_real_macro_space_beside_the_v100_column():
    macro = pd.DataFrame({"dataset": ["transnas_macro-cpu_latency"], "lut": [0.61], "lr": [0.74]})
    rows = pd.DataFrame(scorecard.table1_rows(_table1_frame(), seeds=50, macro=macro)).set_index("quantity")
    assert rows.loc["lookup table tau, tesla_v100 latency", "note"].endswith("'Your own device'): 0.610")
    assert rows.loc["Linear Regression tau (124 samples), tesla_v100 latency", "note"].endswith(": 0.740")
    assert "macro" not in rows.loc["lookup table tau, fpga latency", "note"]


def test_table1_names_fewer_seeds_only_where_it_applies():
    rows = pd.DataFrame(scorecard.table1_rows(_table1_frame(lut_shift=0.2), seeds=5))
    lut = rows[rows["quantity"].str.startswith("lookup")]
    assert (lut["verdict"] == "differs").all()
    assert (lut["reason"] == "not explained").all()          # the table's tau involves no seeds
    lr_fpga = rows[rows["quantity"] == "Linear Regression tau (124 samples), fpga latency"].iloc[0]
    assert lr_fpga["verdict"] == "differs" and lr_fpga["reason"] == "fewer seeds (5 of 50)"


def test_a_moved_lookup_table_base_is_named_as_the_reason():
    frame = _table1_frame(lut_shift=0.2)
    frame["lut_base_reason"] = ["neighbours missing: nearest complete base"] + [scorecard.PROTOCOL_BASE] * 5
    rows = pd.DataFrame(scorecard.table1_rows(frame, seeds=50))
    lut = rows[rows["quantity"].str.startswith("lookup")].set_index("quantity")["reason"]
    assert lut["lookup table tau, fpga latency"].startswith("another lookup-table base")
    assert lut["lookup table tau, tesla_v100 latency"] == "not explained"


def test_stand_in_data_is_named_as_the_reason(monkeypatch):
    monkeypatch.setattr(scorecard, "_stand_in", lambda b: "stand-in data (x)" if b == "transnas" else None)
    rows = pd.DataFrame(scorecard.lut_mean_rows(pd.Series({"hwnas": 0.9, "transnas": 0.1})))
    assert rows["verdict"].tolist() == ["differs", "differs"]
    assert rows["reason"].tolist() == ["not explained", "stand-in data (x)"]
    per = pd.DataFrame({"benchmark": ["hwnas"] * 3, "dataset": ["a", "b", "c"],
                        "base_reason": [scorecard.PROTOCOL_BASE, "its neighbours are missing", ""]})
    rows = pd.DataFrame(scorecard.lut_mean_rows(pd.Series({"hwnas": 0.9, "transnas": 0.1}), per))
    assert rows["reason"][0] == ("another lookup-table base on 1 of 3 datasets (the data lack the protocol "
                                 "base's neighbours: b)")


def _results(predictors, seeds):
    return pd.DataFrame([{"dataset": "d", "predictor": p, "train_size": 10, "seed": s}
                         for p in predictors for s in range(seeds)])


def test_claims_say_what_the_committed_study_lacks():
    claims = pd.DataFrame([
        {"where": "Sec. 4", "claim": "A (HW-NAS)", "paper": "x", "ours": "y", "verdict": "differs"},
        {"where": "Sec. 4", "claim": "B", "paper": "x", "ours": "x", "verdict": "reproduced"},
        {"where": "Sec. 4", "claim": "C", "paper": "x", "ours": "-", "verdict": "not run"},
        {"where": "Sec. 4", "claim": "D", "paper": "x", "ours": "z", "verdict": "provisional",
         "reason": "holds on the cells so far; not yet run: ngb (HW to 11)"}])
    rows = pd.DataFrame(scorecard.claim_rows(claims, _results(["lr", "ridge"], seeds=3)))
    assert rows["verdict"].tolist() == ["differs", "reproduced", "not run", "provisional"]
    assert rows.at[3, "reason"] == "holds on the cells so far; not yet run: ngb (HW to 11)"
    assert "holds 2 of 17 predictors" in rows.at[0, "reason"] and "3 of 50" in rows.at[0, "reason"]
    assert rows.at[1, "reason"] == "" and rows.at[1, "note"] == "checked on the 2 of 17 predictors committed so far"
    assert rows.at[2, "reason"] == "not yet in the committed results"


def test_fewer_seeds_are_a_reason_only_for_claims_that_read_those_curves():
    results = pd.concat([_results(["mlp_small", "svr"], seeds=50), _results(["gcn", "nao"], seeds=10)])
    claims = pd.DataFrame([
        {"where": "Sec. 4", "claim": "A (HW-NAS)", "paper": "x", "ours": "y", "verdict": "differs",
         "reads": "mlp_small, svr"},
        {"where": "Sec. 4", "claim": "B (HW-NAS)", "paper": "x", "ours": "y", "verdict": "differs", "reads": ""},
        {"where": "Sec. 4", "claim": "C (HW-NAS)", "paper": "x", "ours": "y", "verdict": "differs",
         "reads": "gcn, mlp_small"}])
    reasons = [r["reason"] for r in scorecard.claim_rows(claims, results)]
    assert "fewer seeds" not in reasons[0]
    assert "fewer seeds (gcn, nao: 10 of 50)" in reasons[1]
    assert "fewer seeds (gcn: 10 of 50)" in reasons[2]


def _grid(shift=0.0):
    """An aggregated simulation grid whose means over datasets and sizes are the published values."""
    rows = []
    for name, n, std in itertools.product(["a", "b"], SIZES, STDS):
        mra = PUBLISHED["mra"].get(std, (1.0, 1.0))
        rows.append({"dataset": name, "n": n, "n_used": n, "std": std,
                     "kendalltau": PUBLISHED["kendalltau"].get(std, 1.0) + shift,
                     "mra_all": mra[0] + shift, "mra_pareto": mra[1] + shift,
                     "hv_true": PUBLISHED["hv_true"].get(n, 3.5) + shift})
    return pd.DataFrame(rows)


def test_simulation_rows_reproduce_the_published_grid_and_name_fewer_trials():
    rows = pd.DataFrame(scorecard.simulation_rows(_grid(), _grid(0.5), None, trials=1000))
    n_published = len(PUBLISHED["kendalltau"]) + 2 * len(PUBLISHED["mra"]) + len(PUBLISHED["hv_true"])
    assert len(rows) == n_published and (rows["verdict"] == "reproduced").all()
    assert rows["note"].str.contains("correct pairing").sum() == 2 * len(PUBLISHED["mra"]) + len(PUBLISHED["hv_true"])
    off = pd.DataFrame(scorecard.simulation_rows(_grid(0.3), _grid(), None, trials=20))
    assert (off["verdict"] == "differs").all()
    assert (off["reason"] == "fewer trials (20 of 1000)").all()


def test_summary_counts_by_section():
    card = pd.DataFrame({"section": ["Table 1", "Table 1", "Simulation", "Predictors"],
                         "verdict": ["reproduced", "differs", "not run", "provisional"]})
    assert scorecard.summary(card) == {"total": 4, "reproduced": 1, "differs": 1, "provisional": 1,
                                       "not_run": 1, "table_1_total": 2, "table_1_reproduced": 1,
                                       "simulation_total": 1, "simulation_reproduced": 0,
                                       "predictors_total": 1, "predictors_reproduced": 0}


def test_headline_names_provisional_and_not_run_only_where_there_are_any():
    count = {"total": 5, "reproduced": 3, "differs": 2, "provisional": 0, "not_run": 0,
             "table_1_total": 2, "table_1_reproduced": 1, "predictors_total": 2, "predictors_reproduced": 1,
             "simulation_total": 1, "simulation_reproduced": 1}
    text = scorecard.headline(count)
    assert text.startswith("Of the paper's 5 numbers and claims checked here, **3 are reproduced** and 2 differ.")
    assert "provisional" not in text and "not yet run" not in text
    assert "Table 1, 1 of 2; the predictor comparison (its claims and the lookup table's means), 1 of 2" in text
    assert scorecard.other_verdicts(count) == " and 2 differ"
    more = scorecard.headline({**count, "differs": 1, "provisional": 1, "not_run": 1})
    assert "**3 are reproduced**, 1 differ, 1 are provisional (checked on the part" in more
    assert more.split(". By part")[0].endswith("and 1 are not yet run")


def test_reason_counts_keep_a_reasons_own_semicolons():
    card = pd.DataFrame({"verdict": ["differs", "differs", "provisional", "reproduced"],
                         "reason": ["stand-in data (micro for macro; its tau 0.51); fewer seeds (gcn: 10 of 50)",
                                    "stand-in data (cifar10 metrics)",
                                    "holds on the cells so far; not yet run: bananas (HW to 6748)", ""]})
    counts = scorecard.reason_counts(card)
    assert counts.to_dict() == {"stand-in data": 2, "fewer seeds": 1, "holds on the cells so far": 1,
                                "not yet run: bananas": 1}


def test_headline_figure_has_one_panel_per_kind():
    import matplotlib

    matplotlib.use("Agg")
    card = pd.DataFrame(scorecard.simulation_rows(_grid(), _grid(), None, trials=1000)
                        + scorecard.lut_mean_rows(pd.Series({"hwnas": 0.437, "transnas": 0.9})))
    fig = scorecard.plot_scorecard(card)
    assert [ax.get_title() for ax in fig.axes] == ["Kendall tau", "MRA [%]", "hypervolume"]
    plotted = sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections if c.get_label()[:1] != "_")
    assert plotted == len(card)


def test_formatted_rounds_numbers_and_keeps_claims():
    card = pd.DataFrame({"quantity": ["a tau", "architectures measured live", "a claim"],
                         "paper": [0.45, 5000.0, "more than half"], "ours": [0.46161, 5174.36, "3 of 5"],
                         "difference": [0.01161, 174.36, np.nan]})
    out = scorecard.formatted(card)
    assert out["paper"].tolist() == ["0.45", "5000", "more than half"]     # the paper's digits
    assert out["ours"].tolist() == ["0.462", "5174", "3 of 5"]
    assert out["difference"].tolist() == ["+0.012", "+174", ""]


def test_styled_colours_the_verdicts():
    html = scorecard.styled(pd.DataFrame({"quantity": ["a", "b"], "verdict": ["reproduced", "differs"]})).to_html()
    assert "#1a7f37" in html and "#b35900" in html


def test_the_transnas_mlp_claim_notes_what_tuning_changes(monkeypatch, require_data):
    from hwlib import tuning

    def frame(predictor, tau):
        return pd.DataFrame({"dataset": "transnas_macro-cpu_latency", "predictor": predictor, "train_size": 65,
                             "nominal_train_size": 65, "seed": [0, 1], "kendalltau": tau, "fit_time": 1.0,
                             "hpo_best_params": [{}, {}]})
    defaults = pd.concat([frame("ridge", 0.7), frame("mlp_small", 0.6)])
    monkeypatch.setattr(tuning, "results", lambda profile: (frame("mlp_small", 0.8), defaults))
    rows = [{"paper": "after ~20 samples", "note": "checked on 3 predictors"}, {"paper": "at most 60", "note": ""}]
    scorecard._add_tuning_notes(rows, defaults.assign(benchmark="transnas"), pd.Series({"transnas": 0.5}))
    assert rows[0]["note"].startswith("checked on 3 predictors; with the protocol's brief tuning")
    assert "an MLP is best at 1 of 1 sizes (65; at the defaults: 0)" in rows[0]["note"]
    assert rows[1]["note"] == ""          # no HW-NAS cells tuned: the few-sample claims get no note


def test_the_few_sample_claims_note_what_tuning_changes(monkeypatch, require_data):
    from hwlib import tuning

    def frame(predictor, sizes, tau):
        return pd.DataFrame([{"benchmark": "hwnas", "dataset": "cifar10-raspi4_latency", "predictor": predictor,
                              "train_size": n,
                              "nominal_train_size": n, "seed": s, "kendalltau": tau, "fit_time": 1.0,
                              "hpo_best_params": {}} for n in sizes for s in (0, 1)])
    results = pd.concat([frame("ridge", (5, 11, 25, 55), 0.6), frame("mlp_large", (5, 11, 25, 55), 0.1)])
    tuned = frame("mlp_large", (11, 25, 55), 0.6)
    monkeypatch.setattr(tuning, "results", lambda profile: (tuned, results))
    rows = [{"paper": "at most 60", "note": ""}, {"paper": "KT ~ 0.8", "note": ""}]
    scorecard._add_tuning_notes(rows, results, pd.Series({"hwnas": 0.4}))
    assert rows[0]["note"] == ("with the brief tuning, on the cells tuned (chapter 2, Table 2.10): the last needs 8 "
                               "(mlp_large) (reproduced; at the defaults there: 1 never beat it within the sizes run)")
    assert rows[1]["note"] == ""


def test_the_bohamiann_claim_notes_the_longer_chain(monkeypatch, require_data):
    from hwlib import comparison

    table = pd.DataFrame({"13000 steps": [0.7, 0.85], "100 steps": [0.6, 0.65]},
                         index=pd.MultiIndex.from_tuples([("bohamiann", 124), ("bohamiann", 3036)]))
    monkeypatch.setattr(comparison, "sampler_effect", lambda *a, **k: table)
    rows = [{"paper": "KT ~ 0.8", "note": ""}, {"paper": "at most 60", "note": ""}]
    scorecard._add_sampler_note(rows)
    assert rows[0]["note"] == ("sampled for 13000 steps (pybnn's defaults) instead of the released code's 100, "
                               "it peaks at 0.850 (3036 samples; chapter 2, Table 2.11)")
    assert rows[1]["note"] == ""
    monkeypatch.setattr(comparison, "sampler_effect", lambda *a, **k: table.assign(**{"13000 steps": np.nan}))
    rows = [{"paper": "KT ~ 0.8", "note": ""}]
    scorecard._add_sampler_note(rows)
    assert rows[0]["note"] == ""                   # not committed: no note


def test_the_lookup_table_claims_note_what_they_say_against_the_papers_table():
    from hwlib import comparison
    from hwlib.protocol import HWNAS_TRAIN_SIZES
    from hwlib.study import study_predictors

    records = pd.DataFrame([{"benchmark": "hwnas", "dataset": "d", "predictor": p, "nominal_train_size": n,
                             "seed": 0, "kendalltau": 0.3 + 0.05 * np.log(n)}
                            for p in study_predictors() for n in HWNAS_TRAIN_SIZES])
    rows = [{"paper": "at most 60", "quantity": "No predictor needs ... (HW-NAS)", "note": ""},
            {"paper": "KT ~ 0.8", "quantity": "BOHAMIANN ... (HW-NAS)", "note": ""}]
    scorecard._add_lut_notes(rows, comparison.curves(records))
    # 0.3 + 0.05 ln n reaches 0.437 at n = e^2.74, about 15 samples
    assert rows[0]["note"] == ("against the paper's lookup-table mean (0.437) instead of ours: the last needs 15 "
                               "(lr) (reproduced)")
    assert rows[1]["note"] == ""


def test_the_query_time_claim_names_the_machine_where_it_differs():
    records = _results(["lr", "ngb"], seeds=3).assign(benchmark="hwnas", query_time=[0.001] * 3 + [0.2] * 3)
    row = scorecard.query_time_row(records)
    assert (row["section"], row["where"], row["verdict"]) == ("Predictors", "Sec. 6", "differs")
    assert row["ours"] == "0.05 s or more: ngb 0.200 s (HW-NAS-Bench, 10 samples)"
    assert row["reason"].startswith("CPU seconds of one core of the machine that ran the study (")
    assert ";" not in row["reason"]                                   # one reason (the summary counts them)
    assert row["note"].startswith("no query time recorded: ") and "Table 2.12" in row["note"]
    assert scorecard.query_time_row(records.assign(query_time=np.nan))["verdict"] == "not run"
