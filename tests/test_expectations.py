"""What to expect with a budget: reading the study's records at a number of samples."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwlib import expectations
from hwlib.cli import main
from hwlib.errors import InputError

DATASETS = ["cifar10-raspi4_latency", "cifar10-pixel3_latency"]


def records(predictor: str, sizes, tau, fit=lambda n: 0.01 * n, seeds=range(4)) -> pd.DataFrame:
    """Synthetic study records: Kendall tau ``tau(n) + 0.01 * seed + 0.02 * dataset index``."""
    rows = [{"dataset": d, "predictor": predictor, "train_size": n, "nominal_train_size": n, "seed": s,
             "kendalltau": tau(n) + 0.01 * s + 0.02 * i, "spearman": tau(n) + 0.1, "fit_time": fit(n)}
            for i, d in enumerate(DATASETS) for n in sizes for s in seeds]
    return pd.DataFrame(rows)


@pytest.fixture
def study(require_data):
    good = records("good", [55, 124, 276], lambda n: 0.5 + 0.1 * np.log(n / 55))
    flat = records("flat", [55, 124, 276], lambda n: 0.3)
    short = records("short", [5, 11, 25, 55], lambda n: 0.9)
    return pd.concat([good, flat, short], ignore_index=True)


def test_a_study_size_reads_that_size(study):
    found = expectations.expect(124, results=study)
    good = found.table.set_index("predictor").loc["good"]
    # per seed: mean over the two datasets (+0.01) of tau + 0.01 seed; then the mean over seeds
    assert good["kendalltau"] == pytest.approx(0.5 + 0.1 * np.log(124 / 55) + 0.01 + 0.015)
    assert good["se"] == pytest.approx(pd.Series([0.0, 0.01, 0.02, 0.03]).sem())
    assert good["sizes"] == "124" and good["runs"] == 8
    single = study[(study["predictor"] == "good") & (study["train_size"] == 124)]["kendalltau"]
    assert good["p10"] == pytest.approx(single.quantile(0.1))
    assert good["p90"] == pytest.approx(single.quantile(0.9))


def test_between_sizes_it_interpolates_in_log_size(study):
    n = int(round(np.sqrt(55 * 124)))  # near the geometric midpoint
    found = expectations.expect(n, results=study).table.set_index("predictor")
    w = (np.log(n) - np.log(55)) / (np.log(124) - np.log(55))
    # tau grows linearly in log n, so the interpolation is exact
    assert found.loc["good", "kendalltau"] == pytest.approx(0.5 + 0.1 * np.log(n / 55) + 0.025)
    assert found.loc["good", "fit_seconds"] == pytest.approx(0.01 * 55 ** (1 - w) * 124 ** w)
    assert found.loc["good", "sizes"] == "55-124"
    assert list(found.index[:2]) == ["good", "flat"]  # best first


def test_a_size_not_yet_run_on_every_dataset_is_read_around(study):
    gap = (study["predictor"] == "good") & (study["train_size"] == 124) & (study["dataset"] == DATASETS[1])
    found = expectations.expect(124, results=study[~gap]).table.set_index("predictor")
    assert found.loc["good", "sizes"] == "55-276"                 # not the mean of one dataset at 124
    assert found.loc["good", "kendalltau"] == pytest.approx(0.5 + 0.1 * np.log(124 / 55) + 0.025)
    assert 124 not in set(expectations.spread(study[~gap], ["good"])["train_size"])


def test_close_to_best_takes_the_best_standard_error(study):
    tied = records("tied", [55, 124, 276], lambda n: 0.5 + 0.1 * np.log(n / 55) - 0.01)
    found = expectations.expect(124, results=pd.concat([study, tied]))
    # best: 'good', se 0.0129 over its four seeds; 'tied' is 0.01 below it, 'flat' far below
    assert list(found.close_to_best()["predictor"]) == ["good", "tied"]
    assert list(found.close_to_best(0.5)["predictor"]) == ["good"]


def test_a_predictor_without_records_around_the_budget_is_listed_with_the_reason(study):
    found = expectations.expect(100, results=study)
    assert "short" not in set(found.table["predictor"])
    assert found.missing["short"] == "records at 5-55 samples only"


def test_it_compares_with_the_lookup_table(study):
    from hwlib.lookup import evaluate_lut

    found = expectations.expect(124, results=study)
    lut = np.mean([evaluate_lut(d)["kendalltau"] for d in DATASETS])
    assert found.lut == pytest.approx(lut) and found.datasets == sorted(DATASETS)
    table = found.table.set_index("predictor")
    assert (table["beats_lut"] == (table["kendalltau"] > lut)).all()
    assert not table.loc["flat", "beats_lut"]


@pytest.mark.parametrize("samples", [0, 4, 15001, 5.5, True, "100"])
def test_a_budget_outside_the_study_is_refused(study, samples):
    with pytest.raises(InputError, match="samples"):
        expectations.expect(samples, results=study)


@pytest.mark.parametrize("trials", [0, -5, 2.5])
def test_a_bad_number_of_trials_is_refused(study, trials):
    with pytest.raises(InputError, match="trials must be an integer >= 1"):
        expectations.expect(100, results=study, trials=trials)


def test_bad_spaces_and_datasets_are_refused(require_data, study):
    with pytest.raises(InputError, match="search space"):
        expectations.expect(100, "nb301", results=study)
    with pytest.raises(InputError, match="NB201"):
        expectations.expect(100, "transnas_micro", select_from=1000)
    for select_from in (5, 15626):
        with pytest.raises(InputError, match="select_from must be an integer in 10..15625"):
            expectations.selection_cost(pd.Series([0.5]), select_from)
    with pytest.raises(InputError, match="not one of the study's datasets"):
        expectations.study_records("nb201", ["transnas_micro-jigsaw"])
    with pytest.raises(InputError, match="no committed study records"):
        expectations.expect(100, results=study, datasets=["cifar10-edgegpu_energy"])


def test_study_records_are_the_defaults_not_the_variants_stored_beside_them(require_data, tmp_path):
    from hwlib.store import Store

    store = Store(tmp_path)
    cell = {"dataset": "cifar10-raspi4_latency", "predictor": "bohamiann", "train_size": 124, "seed": 0,
            "kendalltau": 0.6, "fit_time": 1.0}
    store.put("predictors/cifar10-raspi4_latency/bohamiann", [
        {**cell, "key": "a", "params": {}},
        {**cell, "key": "b", "params": {"num_steps": 13000}, "kendalltau": 0.9}])   # sampled for longer
    records = expectations.study_records("nb201", ["cifar10-raspi4_latency"], store=store)
    assert records["kendalltau"].tolist() == [0.6]


def test_selection_cost_falls_as_the_ranking_improves(require_data, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    taus = pd.Series([0.99, 0.9, 0.75, 0.2])  # the deviations of std 1 leave a tau of about 0.55
    cost = expectations.selection_cost(taus, 100, trials=20)
    assert list(cost.columns) == ["mra_all", "mra_pareto"]
    assert cost["mra_all"].iloc[0] < cost["mra_all"].iloc[1] < cost["mra_all"].iloc[2]
    assert (cost["mra_pareto"].iloc[:3] <= cost["mra_all"].iloc[:3] + 1e-12).all()
    assert np.isnan(cost.iloc[3]).all() and cost.attrs["lowest_kendalltau"] > 0.2  # below the range
    with pytest.raises(InputError, match="select_from"):
        expectations.selection_cost(taus, 3)


def test_cli_reads_the_committed_results(require_data, capsys):
    assert main(["expect", "--samples", "124", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["samples"] == 124 and found["space"] == "nb201"
    rows = found["predictors"]
    assert rows, "the committed results hold the cheap predictors at 124 samples"
    taus = [r["kendalltau"] for r in rows]
    assert taus == sorted(taus, reverse=True)
    assert {"lr", "ridge"} <= {r["predictor"] for r in rows}
    ridge = next(r for r in rows if r["predictor"] == "ridge")
    assert 0 < ridge["query_seconds"] < 1                        # recorded for every Ridge cell
    assert main(["expect", "--samples", "124"]) == 0
    out = capsys.readouterr().out
    assert "query_seconds" in out and "CPU seconds to train one model and to predict its test set" in out


def test_cli_errors_are_one_line(require_data, capsys):
    assert main(["expect", "--samples", "20000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "5-15000" in err[0]


def test_a_budget_no_predictor_reaches_yet_says_so(study, capsys, monkeypatch):
    found = expectations.expect(5, results=study[study["predictor"] != "short"])
    assert found.table.empty and found.close_to_best().empty
    assert set(found.missing) == {"good", "flat"}
    monkeypatch.setattr(expectations, "study_records", lambda space, datasets: study[study["predictor"] == "good"])
    assert main(["expect", "--samples", "5"]) == 0
    out = capsys.readouterr().out
    assert "no predictor has records on both sides of 5 samples yet" in out and "good: records at 55-276" in out


def test_spread_has_every_size_of_each_predictor(study):
    table = expectations.spread(study, ["flat", "good"])
    assert list(table["predictor"].unique()) == ["flat", "good"]
    good = table[table["predictor"] == "good"].set_index("train_size")
    assert list(good.index) == [55, 124, 276]
    at = expectations.expect(124, results=study).table.set_index("predictor").loc["good"]
    assert good.loc[124, "kendalltau"] == pytest.approx(at["kendalltau"])
    assert good.loc[124, "p90"] == pytest.approx(at["p90"])
    assert expectations.spread(study, ["absent"]).empty


def test_spread_figure_draws_a_band_per_predictor(study):
    import matplotlib
    matplotlib.use("Agg")
    from hwlib import plotting

    fig = plotting.plot_spread(expectations.spread(study, ["good", "flat"]), budget=100)
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["good", "flat"]
    assert len(fig.axes[0].collections) == 1 and len(fig.axes[0].lines) == 2  # band; curve and budget


# ----------------------------------------------------------------------------- compare: trained on one's own data


@pytest.fixture
def own(require_data, registry, tmp_path, monkeypatch):
    """A CSV of 300 NB201 cells with pixel3's latency, registered; the store in ``tmp_path``."""
    from hwlib import data
    from hwlib.spaces import get_space

    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path / "cache"))
    ds = data.load_dataset("cifar10-pixel3_latency")
    pick = np.random.default_rng(0).choice(ds.n_archs, 300, replace=False)
    path = tmp_path / "phone.csv"
    pd.DataFrame({"arch": get_space("nb201").array_to_names(ds.A[pick]), "latency": ds.y[pick]}).to_csv(path,
                                                                                                    index=False)
    return path, data.register_measurements(path)


def test_compare_trains_on_ones_own_data_and_marks_the_best(own):
    from hwlib.store import Store

    _, name = own
    found = expectations.compare(name, [11, 124], ["ridge", "lgb", "mlp_small"], seeds=range(3))
    table = found.table
    assert list(zip(table["predictor"], table["train_size"])) == [
        (p, n) for p in ("ridge", "lgb", "mlp_small") for n in (11, 124)]
    assert (table["runs"] <= 3).all() and table.loc[table["train_size"] == 124, "runs"].eq(3).all()
    for size, rows in table.groupby("train_size"):
        top = rows.loc[rows["kendalltau"].idxmax()]
        assert rows["close_to_best"].tolist() == (rows["kendalltau"] >= top["kendalltau"] - 2 * top["se"]).tolist()
        assert found.best(size)["predictor"].iloc[0] == top["predictor"]
    assert table.loc[table["train_size"] == 124, "kendalltau"].min() > 0.5
    assert found.lut is None and "cannot build a lookup table" in found.lut_note   # 300 random cells
    again = expectations.compare(name, [11, 124], ["ridge", "lgb", "mlp_small"], seeds=range(3),
                                 store=Store(Path(os.environ["HWLIB_CACHE_DIR"])))
    pd.testing.assert_frame_equal(again.table, table)                             # read back, not retrained
    assert json.loads(json.dumps(found.to_dict()))["runs"][0]["predictor"] == "ridge"


def test_compare_with_the_transfer_methods_beside(own, monkeypatch, capsys):
    from hwlib import transfer

    path, name = own
    monkeypatch.setattr(transfer.studies, "resolve_sources", lambda t, s: ("help-pixel2", "help-samsung_a50"))   # phones
    found = expectations.compare(name, [11, 55], ["ridge"], seeds=range(2), transfer="others")
    table = found.table.set_index(["label", "train_size"])
    assert set(found.table["kind"]) == {"single", "transfer"}
    assert {f"{m} (transfer)" for m in transfer.list_methods()} | {"ridge"} == set(found.table["label"])
    strongest = table.loc[(f"{transfer.STRONGEST} (transfer)", 11), "kendalltau"]
    assert strongest > table.loc[("ridge", 11), "kendalltau"] + 0.1      # other phones teach a phone
    assert main(["compare", "--dataset", str(path), "--predictors", "ridge", "--sizes", "11,55", "--seeds", "0-1",
                 "--transfer"]) == 0
    assert f"{transfer.STRONGEST} (transfer)" in capsys.readouterr().out
    with pytest.raises(InputError, match="transfer: it needs NB201 cells"):
        expectations.compare("transnas_macro-cpu_latency", [25], ["ridge"], transfer="others")


def test_compare_with_what_it_costs_a_selection(own, capsys):
    path, name = own
    found = expectations.compare(name, [25, 124], ["ridge"], seeds=range(2), select_from=200, trials=3)
    table = found.table.set_index("train_size")
    assert {"mra_all", "mra_pareto"} <= set(table)
    assert table.loc[124, "mra_all"] < table.loc[25, "mra_all"] or np.isnan(table.loc[25, "mra_all"])
    assert main(["compare", "--dataset", str(path), "--predictors", "ridge", "--sizes", "124", "--seeds", "0-1",
                 "--select-from", "200", "--trials", "3"]) == 0
    assert "selecting among 200: MRA" in capsys.readouterr().out
    with pytest.raises(InputError, match="select_from: it needs NB201 cells"):
        expectations.compare("transnas_macro-cpu_latency", [25], ["ridge"], select_from=200)


def test_compare_where_no_tau_is_defined(own, capsys):
    """LightGBM cannot split 5 samples: one value for all, Kendall tau undefined in every run."""
    path, name = own
    found = expectations.compare(name, [5], ["lgb"], seeds=range(2))
    assert found.table["kendalltau"].isna().all() and not found.table["close_to_best"].any()
    assert found.best(5).empty
    assert main(["compare", "--dataset", str(path), "--predictors", "lgb", "--sizes", "5", "--seeds", "0-1"]) == 0
    out = capsys.readouterr().out
    assert "undef." in out and "5 samples: no Kendall tau defined" in out


def test_compare_defaults_and_bad_requests(own, monkeypatch):
    from hwlib import experiments

    _, name = own
    asked = {}

    def run_study(datasets, predictors, sizes, seeds, **kwargs):
        asked.update(predictors=predictors, sizes=sizes, seeds=seeds)
        return records("ridge", sizes, lambda n: 0.5).assign(dataset=name)
    with monkeypatch.context() as patch:
        patch.setattr(experiments, "run_study", run_study)
        expectations.compare(name)
    assert asked["sizes"] == [5, 11, 25, 55, 124]                 # the protocol's, within the pool of 150
    assert asked["seeds"] == [0, 1, 2, 3, 4] and "lut" not in asked["predictors"]
    assert set(expectations.SLOW).isdisjoint(asked["predictors"]) and {"ridge", "lgb", "mlp_small"} <= set(
        asked["predictors"])
    with pytest.raises(InputError, match=r"sizes must lie in 1..150 \(the training pool of phone: 300"):
        expectations.compare(name, [25, 151], ["ridge"])
    with pytest.raises(InputError, match="unknown predictor 'nope'"):
        expectations.compare(name, [25], ["nope"])
    with pytest.raises(InputError, match="'gcn' does not support transnas_macro-cpu_latency"):
        expectations.compare("transnas_macro-cpu_latency", [25], ["gcn"])
    with pytest.raises(InputError, match="seeds: give at least one"):
        expectations.compare(name, [25], ["ridge"], seeds=[])


def test_compare_on_the_command_line(own, capsys):
    path, _ = own
    assert main(["compare", "--dataset", str(path), "--predictors", "ridge,lr", "--sizes", "25,55",
                 "--seeds", "0-1"]) == 0
    out = capsys.readouterr().out
    assert "phone: mean Kendall tau" in out and "25 samples: best" in out and "55 samples: best" in out
    assert "lookup table: none (" in out
    assert main(["compare", "--dataset", str(path), "--predictors", "ridge", "--sizes", "25", "--seeds", "0",
                 "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["dataset"] == "phone" and found["runs"][0]["train_size"] == 25
    assert found["runs"][0]["query_seconds"] > 0
    assert main(["compare", "--dataset", str(path), "--predictors", "ridge,lr", "--sizes", "55", "--seeds", "0",
                 "--jobs", "2", "--json"]) == 0        # the workers read the file registered here
    assert {r["train_size"] for r in json.loads(capsys.readouterr().out)["runs"]} == {55}
    assert main(["compare", "--dataset", str(path), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert main(["compare", "--dataset", str(path), "--sizes", "2x"]) == 2
    assert "--sizes: cannot read '2x'" in capsys.readouterr().err


def test_choice_check_sets_a_samples_choice_beside_the_whole_dataset():
    table = pd.DataFrame({"predictor": ["a", "b", "c", "t"], "train_size": 25, "kendalltau": [0.9, 0.8, 0.7, 0.99],
                          "se": 0.01, "kind": ["single"] * 3 + ["transfer"]})
    found = expectations.Comparison("sample", table, None)
    whole = pd.DataFrame({"predictor": ["a", "b", "c"], "train_size": 25, "kendalltau": [0.7, 0.85, 0.6], "se": 0.02})
    rows, summary = expectations.choice_check(found, whole, 25)
    assert list(rows.index) == ["a", "b", "c"] and "t" not in rows.index          # transfer methods left out
    assert rows.loc["b", "whole"] == 0.85 and rows.loc["a", "sample"] == 0.9
    assert (summary["chosen"], summary["best"]) == ("a", "b")
    assert summary["loss"] == pytest.approx(0.15) and summary["agreement"] == pytest.approx(1 / 3)
    with pytest.raises(InputError, match="size 124 is not run in both"):
        expectations.choice_check(found, whole, 124)


def test_query_time_is_read_where_recorded(study):
    timed = study.assign(query_time=np.where(study["predictor"] == "good", 0.002, np.nan))
    found = expectations.expect(124, results=timed).table.set_index("predictor")
    assert found.loc["good", "query_seconds"] == pytest.approx(0.002)
    assert np.isnan(found.loc["flat", "query_seconds"])          # not recorded: not made up
    n = int(round(np.sqrt(55 * 124)))
    assert expectations.expect(n, results=timed).table.set_index("predictor").loc[
        "good", "query_seconds"] == pytest.approx(0.002)
    assert np.isnan(expectations.expect(124, results=study).table["query_seconds"]).all()
    spread = expectations.spread(timed.iloc[:0])
    assert list(spread.columns) == list(expectations.spread(timed).columns)
