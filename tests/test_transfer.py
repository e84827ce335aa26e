"""Transfer across devices: the regressors on small data built here, source resolution, splits,
the CLI's output and errors, and the committed-results writer."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError

from hwlib import transfer
from hwlib.cli import main
from hwlib.errors import InputError
from hwlib.spaces import get_space

K, W = 4, 30


def _devices(seed: int = 0, n: int = 300, noise: float = 0.3):
    """``n`` cells, ``K`` sources sharing a trend; the target is the trend plus source 1's own part.

    Returns X (n, 2K + W) as :class:`hwlib.transfer.SourceFeatures` lays it out, and the target y.
    """
    rng = np.random.default_rng(seed)
    enc = np.zeros((n, W))
    enc[np.arange(n)[:, None], np.arange(6) * 5 + rng.integers(0, 5, (n, 6))] = 1.0
    trend = 0.3 * (enc @ rng.normal(size=W))
    own = rng.normal(size=(n, K))
    clean = trend[:, None] + 0.6 * own
    raw = clean + noise * rng.normal(size=(n, K))
    y = trend + 0.6 * own[:, 1] + 0.05 * rng.normal(size=n)
    return np.hstack([raw, clean, enc]), y


@pytest.mark.parametrize("method", transfer.list_methods())
def test_regressors_follow_the_estimator_contract(method):
    X, y = _devices()
    cls = transfer.get_method(method).regressor_class()
    with pytest.raises(NotFittedError):
        cls().predict(X)
    model = cls(random_state=3)
    assert model.fit(X[:10], y[:10]) is model and model.n_sources_ == K
    pred = model.predict(X)
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    np.testing.assert_array_equal(pred, cls(random_state=3).fit(X[:10], y[:10]).predict(X))
    with pytest.raises(InputError, match="columns"):
        cls().fit(X[:10, :-1], y[:10])


@pytest.mark.parametrize("method", transfer.list_methods())
def test_regressors_fit_one_or_two_samples(method):
    X, y = _devices()
    for n in (1, 2):
        pred = transfer.get_method(method).regressor_class()().fit(X[:n], y[:n]).predict(X)
        assert np.isfinite(pred).all()


def test_best_proxy_picks_the_source_that_ranks_the_samples():
    X, _ = _devices(noise=0.0)
    y = 3.0 * X[:, 2] + 1.0                       # exactly source 2, another scale
    model = transfer.BestProxyRegressor().fit(X[:10], y[:10])
    assert model.source_ == 2
    np.testing.assert_allclose(model.predict(X), y)


def test_consensus_beats_the_best_single_source_with_ten_samples():
    rho = {m: [] for m in ("proxy", "consensus_ensemble")}
    for seed in range(10):
        X, y = _devices(seed)
        for m in rho:
            pred = transfer.get_method(m).regressor_class()(random_state=seed).fit(X[:10], y[:10]).predict(X)
            rho[m].append(stats.spearmanr(pred, y)[0])
    assert np.mean(rho["consensus_ensemble"]) > np.mean(rho["proxy"]) + 0.03
    assert np.mean(rho["consensus_ensemble"]) > 0.95


def test_consensus_line_never_falls_so_a_few_noisy_samples_cannot_invert_the_ranking():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([1.0, 0.2, 0.5, -0.1])                               # least squares would fall
    assert transfer.methods._line(x, y)[1] < 0
    a, b = transfer.methods._rising_line(x, y)
    assert b == pytest.approx(np.std(y) / np.std(x)) and a + b * x.mean() == pytest.approx(y.mean())
    assert transfer.methods._rising_line(x, 2 * x + 1) == pytest.approx((1.0, 2.0))   # a rising fit is kept
    X, truth = _devices()
    four = np.argsort(X[:, K:2 * K].mean(1))[[0, 100, 200, 299]]      # four cells spread along the consensus
    fit = transfer.ConsensusRegressor().fit(X[four], -truth[four])    # labels that fall with it
    assert fit.fit_[2] > 0


def test_ensemble_at_ten_samples_is_the_jackknife_of_consensus():
    X, y = _devices()
    ens = transfer.ConsensusEnsembleRegressor(random_state=0).fit(X[:10], y[:10])
    jack = np.mean([transfer.ConsensusRegressor().fit(np.delete(X[:10], i, 0), np.delete(y[:10], i))
                    .predict(X) for i in range(10)], axis=0)
    np.testing.assert_allclose(ens.predict(X), jack)


def test_selected_ensemble_is_one_of_the_two_chosen_on_held_out_samples():
    X, y = _devices()
    sel = transfer.SelectedEnsembleRegressor(random_state=0).fit(X[:10], y[:10])
    assert sel.anchor_ in ("consensus", "proxy")
    kind = transfer.ConsensusEnsembleRegressor if sel.anchor_ == "consensus" else transfer.AnchoredEnsembleRegressor
    np.testing.assert_array_equal(sel.predict(X), kind(random_state=0).fit(X[:10], y[:10]).predict(X))
    errors = {}
    for anchor in ("consensus", "proxy"):         # the jackknife's own held-out error decides
        fits = [transfer.methods._consensus_fit(np.delete(X[:10], i, 0)[:, K:2 * K], np.delete(y[:10], i), anchor)
                for i in range(10)]
        held_out = [transfer.methods._consensus_predict(f, X[i:i + 1, K:2 * K])[0] for i, f in enumerate(fits)]
        errors[anchor] = np.mean((np.array(held_out) - y[:10]) ** 2)
    assert sel.anchor_ == min(errors, key=errors.get)
    with pytest.raises(InputError, match="anchor"):
        transfer.ConsensusEnsembleRegressor(anchor="best").fit(X[:10], y[:10])


def test_device_of_groups_metrics_and_batch_sizes():
    assert transfer.device_of("help-1080ti_32") == transfer.device_of("help-1080ti_256") == "1080ti"
    assert transfer.device_of("help-essential_ph_1") == "essential_ph"
    assert transfer.device_of("help-gold_6226") == "gold_6226"
    assert transfer.device_of("cifar10-edgegpu_energy") == transfer.device_of("cifar10-edgegpu_latency")
    assert transfer.device_of("cifar10-eyeriss_arithmetic_intensity") == "eyeriss"


def test_unknown_method_is_refused():
    with pytest.raises(InputError, match="unknown transfer method"):
        transfer.get_method("nope")


def test_help_protocol_split_draws_from_all_and_scores_all():
    train, test = transfer.transfer_split(100, 4, 10, "help")
    assert len(set(train)) == 10 and test.tolist() == list(range(100))
    with pytest.raises(InputError, match="protocol"):
        transfer.transfer_split(100, 4, 10, "nope")


def test_paper_protocol_split_is_the_study_split():
    from hwlib.protocol import split

    train, test = transfer.transfer_split(15625, 7, 55, "paper")
    ref_test, pool = split(15625, 7, 625)
    np.testing.assert_array_equal(test, ref_test)
    np.testing.assert_array_equal(train, pool[:55])


def test_studies_store_their_records_and_compute_only_what_is_missing(tmp_path):
    from hwlib.store import Store

    store = Store(tmp_path)
    rows = [{"method": m, "seed": s} for s in (0, 1) for m in ("a", "b")]
    frame = pd.DataFrame([{**r, "spearman": 0.5 + r["seed"]} for r in rows])
    first = transfer.studies._stored(store, "demo", {"target": "t"}, rows, lambda: frame)
    assert (tmp_path / "transfer" / "demo.csv").is_file() and (tmp_path / "provenance.json").is_file()

    def fail():
        raise AssertionError("computed again")
    again = transfer.studies._stored(store, "demo", {"target": "t"}, rows, fail)
    assert again["spearman"].tolist() == first["spearman"].tolist() == [0.5, 0.5, 1.5, 1.5]
    with pytest.raises(AssertionError, match="computed again"):
        transfer.studies._stored(store, "demo", {"target": "u"}, rows, fail)


# ----------------------------------------------------------------------------- with the benchmark files


def test_nb201_positions_invert_the_index(require_data):
    from hwlib.data import nb201_archs

    A = nb201_archs()
    np.testing.assert_array_equal(transfer.nb201_positions(A), np.arange(len(A)))


def test_resolve_sources(require_data):
    assert transfer.resolve_sources("help-pixel2", "help-train") == transfer.HELP_SOURCES
    others = transfer.resolve_sources("cifar10-edgegpu_latency", "others")
    assert "cifar10-edgegpu_energy" not in others and "cifar10-raspi4_latency" in others
    with_proxies = transfer.resolve_sources("cifar10-edgegpu_latency", "others+proxies")
    assert with_proxies == others + transfer.PROXY_SOURCES
    with pytest.raises(InputError, match="others\\+proxies"):
        transfer.lodo_study(["cifar10-edgegpu_latency"], [0], sources="help-train")
    assert all(transfer.device_of(s) != "titan_rtx" for s in transfer.resolve_sources("help-titan_rtx_256",
                                                                                      "others"))
    with pytest.raises(InputError, match="among the sources"):
        transfer.resolve_sources("help-1080ti_1", "help-train")
    with pytest.raises(InputError, match="unknown dataset"):
        transfer.resolve_sources("help-pixel2", "help-nope")
    with pytest.raises(InputError, match="not an NB201 hardware metric"):
        transfer.resolve_sources("help-pixel2", "cifar10-test_accuracy")


def test_pipeline_takes_architectures(require_data, tmp_path, monkeypatch):
    from hwlib.data import load_dataset

    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    transfer.source_values.cache_clear()
    ds = load_dataset("help-gold_6226")
    model = transfer.make_transfer_predictor("proxy", ["help-gold_6240"], random_state=0)
    pred = model.fit(ds.A[:10], np.log(ds.y[:10])).predict(ds.A)
    assert stats.spearmanr(pred, ds.y)[0] > 0.9      # two Xeons of one family rank alike
    stored = [json.loads(p.read_text())["params"]["dataset"] for p in (tmp_path / "transfer" / "sources").glob("*.json")]
    assert "help-gold_6240" in stored


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(require_data, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    code, out, _ = _cli(capsys, "transfer", "--target", "help-gold_6226", "--sources", "help-gold_6240,help-1080ti_1",
                        "--train-size", "10", "--seeds", "0-1", "--json")
    result = json.loads(out)
    assert code == 0 and result["method"] == transfer.STRONGEST
    assert {"kendalltau", "spearman", "runs"} <= set(result) and len(result["runs"]) == 2
    assert result["spearman"] == pytest.approx(np.mean([r["spearman"] for r in result["runs"]]))


def test_spread_cells_draw_one_cell_from_each_stratum_of_the_consensus():
    consensus = np.random.default_rng(0).normal(size=1000)
    cells = transfer.spread_cells(consensus, 10, seed=3)
    ranks = np.argsort(np.argsort(consensus))[cells]
    assert sorted(ranks // 100) == list(range(10))                    # one per tenth of the order
    np.testing.assert_array_equal(cells, transfer.spread_cells(consensus, 10, seed=3))
    assert not np.array_equal(cells, transfer.spread_cells(consensus, 10, seed=4))
    with pytest.raises(InputError, match="cannot spread 0 cells"):
        transfer.spread_cells(consensus, 0, seed=0)


def test_pick_names_cells_spread_along_the_sources_fastest_first(require_data, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    sources = "help-gold_6240,help-1080ti_1"
    cells = transfer.pick_cells(sources, 8, seed=1)
    space = get_space("nb201")
    A = space.names_to_array(cells)
    consensus = np.column_stack([transfer.source_values(s)[1] for s in sources.split(",")]).mean(1)
    position = transfer.nb201_positions(A)
    assert len(set(cells)) == 8 and list(np.argsort(consensus[position])) == list(range(8))
    strata = np.argsort(np.argsort(consensus))[position] * 8 // len(consensus)
    assert list(strata) == list(range(8))
    code, out, _ = _cli(capsys, "transfer", "--pick", "8", "--sources", sources, "--seeds", "1")
    assert code == 0 and out.split() == cells
    runs = transfer.transfer_runs("help-gold_6226", sources, [transfer.STRONGEST], [5], [0, 1], sampler="spread")
    assert set(runs["sampler"]) == {"spread"} and runs["spearman"].min() > 0.8


@pytest.mark.parametrize("argv,needle", [
    ([], "give --target"),
    (["--target", "help-pixel2", "--protocol", "paper", "--sampler", "spread"], "HELP's protocol"),
    (["--target", "help-pixel2", "--method", "nope"], "unknown transfer method"),
    (["--target", "help-nope"], "unknown dataset"),
    (["--target", "help-pixel2", "--sources", "help-pixel2,help-1080ti_1"], "among the sources"),
    (["--target", "help-pixel2", "--sources", "help-1080ti_1", "--train-size", "0"], "--train-size must be at least 1"),
])
def test_cli_errors_exit_2_with_one_line(require_data, capsys, argv, needle):
    code, _, err = _cli(capsys, "transfer", *argv)
    assert code == 2 and needle in err and err.count("\n") == 1


def test_verify_recomputes_stored_records_and_names_each_that_differs(require_data, tmp_path, monkeypatch, capsys):
    from hwlib.store import Store

    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path / "cache"))
    two = ("help-gold_6240", "help-1080ti_1")                         # HELP's protocol on fewer sources
    for module in (transfer.studies, transfer.sources):
        monkeypatch.setattr(module, "HELP_SOURCES", two)
    monkeypatch.setattr(transfer.studies, "HELP_TARGETS", ("help-gold_6226",))
    transfer.help_study([0, 1], ["proxy", transfer.STRONGEST], store=Store(tmp_path / "results"), progress=False)
    clean = transfer.verify(4, store=Store(tmp_path / "results"))
    assert clean["checked"] == 4 and clean["differ"] == []
    path = tmp_path / "results" / "transfer" / "help.csv"
    frame = pd.read_csv(path, dtype={"key": str, "run": str})
    frame.loc[0, "spearman"] += 0.01
    frame.loc[1, "key"] = "0" * 24
    frame.to_csv(path, index=False)
    found = transfer.verify(4, store=Store(tmp_path / "results"))["differ"]
    assert len(found) == 2
    assert {d["predictor"] for d in found} <= {"proxy", transfer.STRONGEST}
    assert [set(d.get("metrics", {})) for d in found if "metrics" in d] == [{"spearman"}]
    assert any("key differs" in d.get("reason", "") for d in found)
    with pytest.raises(InputError, match="no transfer records"):
        transfer.verify(1, store=Store(tmp_path / "empty"))
    with pytest.raises(InputError, match="selection"):
        transfer.verify(1, tables=("selection",))
    code, _, err = _cli(capsys, "study", "verify", "--transfer", "--tuning", "--sample", "1")
    assert code == 2 and "one kind of record" in err


def test_own_data_fit_is_how_well_a_devices_own_cells_rank_it(require_data, tmp_path, monkeypatch):
    from hwlib.transfer import report

    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    fit = report.own_data_fit(["help-titan_rtx_256", "help-pixel2"])
    assert list(fit.index) == ["titan_rtx_256", "pixel2"]
    assert fit["titan_rtx_256"] > 0.99 and 0.8 < fit["pixel2"] < fit["titan_rtx_256"]      # a noisy phone


def test_committed_transfer_records_come_out_again(require_data):
    result = transfer.verify(2, seed=5, tables=("help",))                 # HELP's nine sources: seconds
    assert result["checked"] == 2 and result["differ"] == []


@pytest.mark.slow
def test_strongest_beats_the_best_proxy_on_helps_hardest_device(require_data):
    runs = transfer.transfer_runs("help-pixel2", "help-train", ["proxy", transfer.STRONGEST], [10], range(5))
    mean = runs.groupby("method")["spearman"].mean()
    assert mean[transfer.STRONGEST] > mean["proxy"]


def test_help_table_and_goals_from_runs():
    from hwlib.transfer import report

    rows = [{"target": t, "method": m, "seed": s, "kendalltau": 0.8, "spearman": 0.99 if m == transfer.STRONGEST
             else 0.5} for t in transfer.HELP_TARGETS for m in transfer.list_methods() for s in range(3)]
    rows[0] = {**rows[0], "spearman": 0.5}                    # one worse run of proxy on the first target
    table = report.help_table(pd.DataFrame(rows))
    assert list(table.index) == [report.short(t) for t in transfer.HELP_TARGETS] + ["mean"]
    assert table.at["mean", "HELP (published)"] == pytest.approx(np.mean(list(transfer.HELP_PUBLISHED.values())))
    goals = report.help_goals(table)
    assert goals["mean_ok"] and goals["min_ok"] and goals["mean"] == pytest.approx(0.99)
    assert set(goals["beats"]) == {report.short(t) for t in transfer.HELP_TARGETS}
    close = report.help_goals(table, level=1.0)                 # every difference within the margin
    assert close["beats"] == close["misses"] == [] and len(close["level"]) == len(transfer.HELP_TARGETS)


def test_nasflat_table_sets_the_strongest_method_beside_nasflat_at_10_and_20_samples():
    from hwlib.transfer import report

    def runs(size, spearman):
        return pd.DataFrame([{"target": t, "method": m, "train_size": size, "seed": s, "spearman": spearman + s / 100}
                             for t in transfer.HELP_TARGETS for m in ("proxy", transfer.STRONGEST) for s in (0, 2)])
    table = report.nasflat_table(runs(10, 0.9), runs(20, 0.95).query("method != 'proxy'"))
    assert list(table.index) == [report.short(t) for t in transfer.HELP_TARGETS] + ["mean"]
    assert table["ours @10"].tolist() == pytest.approx([0.91] * 7)
    assert table["ours @20"].tolist() == pytest.approx([0.96] * 7)
    for n in (10, 20):
        assert table.at["pixel2", f"NASFLAT @{n}"] == transfer.NASFLAT_REPORTED[n]["help-pixel2"]
    assert table.at["mean", "NASFLAT @20"] == pytest.approx(0.959, abs=5e-4)      # the paper's table entry
    assert table.at["mean", "HELP @10"] == pytest.approx(np.mean(list(transfer.HELP_PUBLISHED.values())))
    with pytest.raises(InputError, match="15 target samples"):
        report.nasflat_table(runs(10, 0.9), runs(20, 0.95), sizes=(10, 15))
    every = report.nasflat_table(runs(10, 0.9), pd.concat([runs(n, 0.95) for n in (5, 15, 20)]),
                                 sizes=report.NASFLAT_SIZES)
    fig = report.plot_nasflat(every)
    mean_ours, mean_nasflat = (line.get_ydata() for line in fig.axes[0].lines[:2])
    assert list(fig.axes[0].lines[0].get_xdata()) == [5, 10, 15, 20]
    assert mean_ours == pytest.approx([0.96, 0.91, 0.96, 0.96])
    assert mean_nasflat[3] == pytest.approx(0.959, abs=5e-4)
    assert fig.axes[1].lines[1].get_ydata()[3] == min(transfer.NASFLAT_REPORTED[20].values())   # worst device


def test_sampler_table_compares_random_and_spread_samples_per_size():
    from hwlib.transfer import report

    def runs(shift):
        return pd.DataFrame([{"target": t, "method": m, "train_size": n, "seed": s,
                              "spearman": 0.9 + shift * (n == 5) * (i == 0) + s / 100}
                             for i, t in enumerate(transfer.HELP_TARGETS) for m in ("proxy", transfer.STRONGEST)
                             for n in (5, 10) for s in (0, 2)])
    table = report.sampler_table(runs(-0.3), runs(0.0).query("train_size == 5"))
    assert list(table.index) == [5]                                      # sizes that both hold
    assert table.at[5, ("random", "worst device")] == pytest.approx(0.61)
    assert table.at[5, ("random", "mean")] == pytest.approx(0.91 - 0.3 / 6)
    assert table.at[5, ("spread - random", "worst device")] == pytest.approx(0.3)


def test_lodo_table_compares_ten_samples_with_the_best_single_device_predictor_at_124():
    from hwlib.transfer import report

    runs = pd.DataFrame([{"target": d, "method": transfer.STRONGEST, "train_size": 10, "seed": 0,
                          "kendalltau": tau} for d, tau in (("cifar10-a_latency", 0.8), ("cifar10-b_latency", 0.5))])
    base = pd.DataFrame([{"dataset": d, "predictor": p, "train_size": 124, "seed": 0, "kendalltau": tau}
                         for d in ("cifar10-a_latency", "cifar10-b_latency")
                         for p, tau in (("lr", 0.6), ("mlp_small", 0.7))])
    table = report.lodo_table(report.lodo_curves(runs, base))
    assert table.loc["a_latency", "beats"] and not table.loc["b_latency", "beats"]
    assert table.loc["b_latency", "best single @124"] == "mlp_small"
    fig = report.plot_lodo(report.lodo_curves(runs, base), points={"cifar10-b_latency": (10, 0.9, "picked")})
    stars = [[line for line in ax.get_lines() if line.get_label() == "picked"] for ax in fig.axes]
    assert [len(s) for s in stars] == [0, 1] and tuple(stars[1][0].get_xydata()[0]) == (10, 0.9)
    assert "picked" in [t.get_text() for t in fig.legends[0].get_texts()]    # the star joins the legend


def test_single_at_reads_the_smallest_size_of_at_least_the_one_asked():
    from hwlib.transfer import report

    base = pd.DataFrame([{"dataset": "d", "predictor": "lr", "train_size": n, "seed": 0, "kendalltau": n / 1000}
                         for n in (5, 11, 25, 124)])
    runs = pd.DataFrame([{"target": "d", "method": transfer.STRONGEST, "train_size": 10, "seed": 0, "kendalltau": 0.9}])
    curves = report.lodo_curves(runs, base)
    assert report.single_at(curves, "d", "lr", 10) == (11, pytest.approx(0.011))
    assert report.single_at(curves, "d", "lr", 124) == (124, pytest.approx(0.124))
    with pytest.raises(InputError, match="no run of at least 200"):
        report.single_at(curves, "d", "lr", 200)


def test_beside_default_names_a_method_that_scores_above_the_default():
    from hwlib.transfer import report

    other = next(m for m in transfer.list_methods() if m != transfer.STRONGEST)
    row = pd.Series({transfer.STRONGEST: 0.800, other: 0.7, "best single @124": "lr"})
    assert report.beside_default(row) == ""
    row[other] = 0.804
    assert report.beside_default(row, level=0.005) == f" ({other} 0.804, level with it)"
    assert report.beside_default(row) == f" ({other} 0.804, above it)"
    with pytest.raises(InputError, match="default method"):
        report.beside_default(pd.Series({other: 0.5}))


def test_profile_settings():
    from hwlib.transfer import report

    assert len(report.settings("full")["seeds"]) == 50 > len(report.settings("quick")["seeds"])
    with pytest.raises(InputError, match="unknown profile"):
        report.settings("huge")


def test_a_target_measured_on_a_sample_runs_up_to_its_pool(require_data, tmp_path, monkeypatch):
    from hwlib import data
    from hwlib.store import Store
    from hwlib.transfer import report

    monkeypatch.setattr(data, "_REGISTRY", dict(data._REGISTRY))
    monkeypatch.setattr(data, "_REGISTERED", {})
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    ds = data.load_dataset("help-gold_6226")
    rows = np.random.default_rng(0).choice(ds.n_archs, 80, replace=False)            # 40 test, 40 to train
    names = get_space("nb201").array_to_names(ds.A[rows])
    pd.DataFrame({"arch": names, "latency": ds.y[rows]}).to_csv(tmp_path / "sample.csv", index=False)
    target = data.register_measurements(tmp_path / "sample.csv")
    monkeypatch.setattr(transfer.studies, "resolve_sources", lambda t, s: ["help-gold_6240", "help-1080ti_1"])   # fewer
    cfg = {"seeds": [0, 1], "baselines": ["ridge"]}
    out = report._sample_target([target], "gpu", cfg, Store(tmp_path / "store"), progress=False)
    assert sorted(out["gpu"]["train_size"].unique()) == [5, 10, 11, 25]
    assert sorted(out["gpu_baselines"]["train_size"].unique()) == [5, 11, 25]
    table = report.lodo_table(report.lodo_curves(out["gpu"], out["gpu_baselines"]), reference=25)
    assert table.loc[report.short(target), transfer.STRONGEST] > 0.8              # gold_6240 ranks it alike
    assert report._sample_target([], "gpu", cfg, None, False)["gpu"].empty


def test_score_picked_scores_the_cells_the_first_measurements_lack(require_data, tmp_path, monkeypatch):
    from hwlib import data

    monkeypatch.setattr(data, "_REGISTRY", dict(data._REGISTRY))
    monkeypatch.setattr(data, "_REGISTERED", {})
    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path))
    sources = "help-gold_6240,help-1080ti_1"
    ds, space = data.load_dataset("help-gold_6226"), get_space("nb201")
    picked = space.names_to_array(transfer.pick_cells(sources, 10, seed=0))
    values = pd.Series(ds.y, index=ds.index)[transfer.nb201_positions(picked)]   # gold_6226 on the ten
    pd.DataFrame({"arch": space.array_to_names(picked), "ms": values.to_numpy()}).to_csv(tmp_path / "first.csv",
                                                                                         index=False)
    rows = np.random.default_rng(1).choice(ds.n_archs, 300, replace=False)
    pd.DataFrame({"arch": space.array_to_names(ds.A[rows]), "ms": ds.y[rows]}).to_csv(tmp_path / "full.csv",
                                                                                     index=False)
    first, full = (data.register_measurements(tmp_path / f) for f in ("first.csv", "full.csv"))
    score = transfer.score_picked(first, full, sources=sources)
    outside = int((~np.isin(data.load_dataset(full).index, data.load_dataset(first).index)).sum())
    assert (score["n_picked"], score["n_scored"], score["n_sources"]) == (10, outside, 2)
    assert score["kendalltau"] > 0.8 and score["spearman"] > score["kendalltau"]   # gold_6240 ranks it alike
    with pytest.raises(InputError, match="among the sources"):
        transfer.score_picked(first, full, sources=f"{sources},{full}")
    with pytest.raises(InputError, match="fewer than two cells"):
        transfer.score_picked(first, first, sources=sources)


def test_denoised_source_is_out_of_fold_where_measured_and_the_fold_mean_elsewhere(require_data):
    import lightgbm as lgb
    from sklearn.model_selection import KFold

    from hwlib.data import Dataset, nb201_archs
    from hwlib.encodings import onehot
    from hwlib.transfer.sources import _denoise

    archs = nb201_archs()
    index = np.sort(np.random.default_rng(0).choice(len(archs), 600, replace=False))
    y = np.exp(np.random.default_rng(1).normal(size=(6, 5))[np.arange(6), archs[index]].sum(1) / 4)
    ds = Dataset("synthetic-nb201", "nb201", archs[index], y, index, "ms", (("synthetic", "0" * 64),))
    out = _denoise(ds, np.log(y))
    X, folds = onehot(ds.A, "nb201"), []
    for train, held in KFold(5, shuffle=True, random_state=0).split(X):
        folds.append(lgb.LGBMRegressor(n_estimators=400, learning_rate=0.05, num_leaves=31, random_state=0,
                                       n_jobs=1, verbose=-1).fit(X[train], np.log(y)[train]))
        np.testing.assert_array_equal(out[index[held]], folds[-1].predict(X[held]))
    everywhere = sum(m.predict(onehot(archs, "nb201")) / 5 for m in folds)   # all 15625 cells at once
    missing = np.setdiff1d(np.arange(len(archs)), index)
    np.testing.assert_array_equal(out[missing], everywhere[missing])


def test_sources_denoised_by_workers_equal_those_denoised_here(require_data, tmp_path, monkeypatch):
    from hwlib.transfer import sources

    names = ["cifar10-fpga_latency", "cifar10-eyeriss_latency"]
    values = {}
    for jobs in (1, 2):
        monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path / f"jobs{jobs}"))
        sources.source_values.cache_clear()
        if jobs == 2:   # nothing is denoised here: the (spawned) workers must have stored them all
            monkeypatch.setattr(sources, "_denoise", lambda *a: pytest.fail("denoised in this process"))
        sources.prepare_sources(names, progress=False, n_jobs=jobs)
        assert all(sources._is_stored(n) for n in names)
        values[jobs] = [sources.source_values(n) for n in names]
    sources.source_values.cache_clear()
    for here, workers in zip(values[1], values[2]):
        np.testing.assert_array_equal(here[0], workers[0])
        np.testing.assert_array_equal(here[1], workers[1])
