"""Protocol splits, one evaluation, and the cached grid (on small synthetic datasets)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hwlib import experiments as E
from hwlib.data import Dataset
from hwlib.errors import InputError
from hwlib.metrics import METRIC_NAMES
from hwlib.store import Store


def _dataset(space: str = "nb201", n: int = 900, name: str = "synthetic-nb201") -> Dataset:
    rng = np.random.default_rng(0)
    codes = {"nb201": 5, "transnas_micro": 4}.get(space, 5)
    A = np.unique(rng.integers(0, codes, size=(3 * n, 6)), axis=0)[:n]
    if space == "transnas_macro":
        A = np.c_[rng.integers(1, 5, size=(n, 4)), np.zeros((n, 2), dtype=int)]
        A[:, 0] = 2   # a doubling
        A[:, 1] = 3   # a downsampling
    y = np.exp(np.random.default_rng(1).normal(size=(6, codes + 1))[np.arange(6), A].sum(1) / 4)
    return Dataset(name, space, A, y, np.arange(len(A)), "ms", (("synthetic", "0" * 64),))


def test_run_cells_records():
    ds = _dataset()
    runs = E.run_cells(ds, "ridge", 55, [0, 1])
    assert [r["seed"] for r in runs] == [0, 1]
    for r in runs:
        assert set(METRIC_NAMES) <= set(r) and r["train_size"] == 55 and r["fit_time"] > 0
        assert r["kendalltau"] > 0.5
    assert runs == [{**a, "fit_time": b["fit_time"], "query_time": b["query_time"]}
                    for a, b in zip(E.run_cells(ds, "ridge", 55, [0, 1]), runs)]


def test_run_cells_with_hpo():
    runs = E.run_cells(_dataset(), "ridge", 55, [0], hpo_budget=30, hpo_max_iter=3)
    assert runs[0]["hpo_n_tried"] == 3
    unlimited = E.run_cells(_dataset(), "ridge", 55, [0], hpo_budget=float("inf"), hpo_max_iter=2)  # no time limit
    assert unlimited[0]["hpo_n_tried"] == 2


def test_bad_requests():
    ds = _dataset()
    with pytest.raises(InputError, match="unknown predictor"):
        E.run_cells(ds, "nope", 10, [0])
    with pytest.raises(InputError, match="train size 451 out of range for synthetic-nb201: 1 to 450 .900 "
                                         "architectures minus 450 for testing"):
        E.run_cells(ds, "ridge", 451, [0])              # under 2 x 625 architectures: half are for testing
    with pytest.raises(InputError, match="1 architecture.s.: too few to train and test on"):
        E.run_cells(_dataset(n=1), "ridge", 1, [0])
    with pytest.raises(InputError, match="does not support"):
        E.run_cells(_dataset("transnas_macro", 600, "synthetic-macro"), "gcn", 10, [0])
    for size in (25.7, 25.0, "25", np.float64(25)):
        with pytest.raises(InputError, match="train size must be a whole number"):
            E.run_cells(ds, "ridge", size, [0])
    assert len(E.run_cells(ds, "ridge", np.int64(25), [0])) == 1
    with pytest.raises(InputError, match="a seed must be a whole number from 0, got -1"):
        E.run_cells(ds, "ridge", 25, [-1])
    for budget in (0, -5, float("nan"), "30"):
        with pytest.raises(InputError, match="hpo_budget must be a positive number"):
            E.run_cells(ds, "ridge", 55, [0], hpo_budget=budget)


def test_stacked_seeds_are_used(monkeypatch):
    """A regressor with ``fit_predict_seeds`` trains all seeds of a cell in one call."""
    from hwlib.predictors.classic import RidgeRegressor
    calls = []

    def fit_predict_seeds(cls, X_train, y_train, X_test, seeds, times=None, **params):
        calls.append((X_train.shape, X_test.shape, list(seeds)))
        times.update(fit=0.75, query=0.375)
        return np.stack([cls(random_state=s, **params).fit(a, b).predict(c)
                         for a, b, c, s in zip(X_train, y_train, X_test, seeds)])

    monkeypatch.setattr(RidgeRegressor, "fit_predict_seeds", classmethod(fit_predict_seeds), raising=False)
    ds = _dataset()
    runs = E.run_cells(ds, "ridge", 20, [3, 4, 5])
    assert calls == [((3, 20, 30), (3, 450, 30), [3, 4, 5])]   # 900 architectures: half for testing
    # the stack's training and prediction times, shared out over its seeds
    assert all(r["batched_seeds"] == 3 and (r["fit_time"], r["query_time"]) == (0.25, 0.125) for r in runs)
    monkeypatch.delattr(RidgeRegressor, "fit_predict_seeds")
    single = E.run_cells(ds, "ridge", 20, [3, 4, 5])
    assert [r["kendalltau"] for r in runs] == pytest.approx([r["kendalltau"] for r in single])


def test_run_study_stores_cells(tmp_path, monkeypatch):
    ds = _dataset()
    monkeypatch.setattr("hwlib.data.load_dataset", lambda name: ds)
    store = Store(tmp_path)
    kwargs = dict(datasets=[ds.name], predictors=["lr", "ridge"], train_sizes=[10, 25, 5000],
                  seeds=[0, 1], store=store, progress=False)
    first = E.run_study(**kwargs)
    assert len(first) == 2 * 3 * 2
    assert sorted(first["train_size"].unique()) == [10, 25, 450]          # 5000 clipped to the pool
    assert sorted(first["nominal_train_size"].unique()) == [10, 25, 5000]
    files = sorted(tmp_path.rglob("*.csv"))
    assert [f.stem for f in files] == ["lr", "ridge"]
    table = pd.read_csv(files[0])
    assert len(table) == 6 and {"key", "run", "checksum", "params", "kendalltau", "fit_time"} <= set(table)
    assert list(table["train_size"]) == sorted(table["train_size"])        # rows sorted by cell

    def fail(*a, **k):
        raise AssertionError("a stored cell was recomputed")
    monkeypatch.setattr(E, "run_cells", fail)
    again = E.run_study(**kwargs)
    pd.testing.assert_frame_equal(again, first)                           # bit for bit, floats included
    assert E.run_study(**{**kwargs, "seeds": [0, 1, 2], "compute": False})["seed"].max() == 1

    table.iloc[1:].to_csv(files[0], index=False)                          # a lost cell is redone
    monkeypatch.undo()
    monkeypatch.setattr("hwlib.data.load_dataset", lambda name: ds)
    calls = []
    real = E.run_cells
    monkeypatch.setattr(E, "run_cells", lambda *a, **k: calls.append((a[1], a[2], a[3])) or real(*a, **k))
    E.run_study(**kwargs)
    assert calls == [("lr", int(table["train_size"][0]), [int(table["seed"][0])])]


def test_committed_results_are_read_first(tmp_path, monkeypatch):
    ds = _dataset()
    monkeypatch.setattr("hwlib.data.load_dataset", lambda name: ds)
    kwargs = dict(datasets=[ds.name], predictors=["lr"], train_sizes=[10], seeds=[0], progress=False)
    E.run_study(**kwargs, store=Store(tmp_path / "results"))
    monkeypatch.setattr(E, "run_cells", lambda *a, **k: pytest.fail("a committed cell was recomputed"))
    layered = Store(tmp_path / "cache", [tmp_path / "results"])
    assert len(E.run_study(**kwargs, store=layered)) == 1
    assert not (tmp_path / "cache").exists()


def test_run_study_skips_unsupported_spaces(tmp_path, monkeypatch):
    ds = _dataset("transnas_macro", 600, "synthetic-macro")
    monkeypatch.setattr("hwlib.data.load_dataset", lambda name: ds)
    out = E.run_study([ds.name], ["lr", "gcn"], [10], seeds=[0], store=Store(tmp_path), progress=False)
    assert out["predictor"].unique().tolist() == ["lr"]


def test_predictor_key_changes_with_every_part():
    base = dict(dataset="d", checksum="c", predictor="p", params={}, train_size=5, seed=0, hpo_budget=None)
    keys = {E.predictor_key(**base)}
    for field, value in [("dataset", "e"), ("checksum", "x"), ("predictor", "q"), ("params", {"a": 1}),
                         ("train_size", 6), ("seed", 1), ("hpo_budget", 10.0), ("split", {"n_test": 450})]:
        keys.add(E.predictor_key(**{**base, field: value}))
    assert len(keys) == 9
    assert E.predictor_key(**{**base, "split": {}}) == E.predictor_key(**base)   # the protocol's split: as before


def test_group_keys_say_a_small_datasets_split():
    big, small = _dataset(n=1300), _dataset(n=900)
    assert E.group_keys(big, "ridge", {}, 25, [0, 1], None) == {
        s: E.predictor_key(big.name, big.checksum, "ridge", {}, 25, s, None) for s in (0, 1)}
    assert E.group_keys(small, "ridge", {}, 25, [0], None)[0] == E.predictor_key(
        small.name, small.checksum, "ridge", {}, 25, 0, None, {"n_test": 450})


def test_summarize_tau_centres_columns():
    df = pd.DataFrame({"dataset": ["a", "a", "b", "b"], "predictor": ["x", "y", "x", "y"],
                       "train_size": [5, 5, 5, 5], "kendalltau": [0.2, 0.4, 0.4, 0.6]})
    table = E.summarize_tau(df)
    assert table.loc["x", 5] == pytest.approx(0.3) and table.loc["y", 5] == pytest.approx(0.5)
    centred = E.summarize_tau(df, centred=True)
    assert centred.loc["x", 5] == pytest.approx(-0.1)


def test_evaluate_on_real_data(require_data):
    out = E.evaluate("cifar10-raspi4_latency", "ridge", 124, seeds=[0, 1])
    assert {"kendalltau", "spearman", "pearson", "mae", "rmse", "fit_time", "query_time", "runs"} <= set(out)
    assert out["kendalltau"] == pytest.approx(np.mean([r["kendalltau"] for r in out["runs"]]))
    assert 0.6 < out["kendalltau"] < 0.95
    json.dumps(out)
    with pytest.raises(InputError):
        E.evaluate("cifar10-raspi4_latency", "ridge", 15001, seeds=[0])


def test_evaluate_output_is_strict_json(monkeypatch):
    """Undefined correlations (LightGBM cannot split 5 samples: constant predictions) become None."""
    ds = _dataset()
    monkeypatch.setattr("hwlib.data.load_dataset", lambda name: ds)
    out = E.evaluate(ds.name, "lgb", 5, seeds=[0, 1])
    assert out["kendalltau"] is None and out["runs"][0]["kendalltau"] is None
    assert out["mae"] > 0 and out["seeds"] == [0, 1]
    json.dumps(out, allow_nan=False)
    with pytest.raises(InputError, match="no seeds"):
        E.evaluate(ds.name, "lr", 5, seeds=[])


def test_limits_run_a_predictor_on_fewer_seeds_and_sizes(require_data, tmp_path):
    df = E.run_study(["cifar10-fpga_latency"], ["lr", "ridge"], [11, 25, 55], range(3),
                   store=Store(tmp_path), progress=False, limits={"ridge": ([7], 25)})
    lr, ridge = df[df["predictor"] == "lr"], df[df["predictor"] == "ridge"]
    assert sorted(set(lr["seed"])) == [0, 1, 2] and sorted(set(lr["train_size"])) == [11, 25, 55]
    assert sorted(set(ridge["seed"])) == [7] and sorted(set(ridge["train_size"])) == [11, 25]


def test_workers_compute_the_same_records_as_this_process(require_data, registry, tmp_path, monkeypatch):
    from hwlib.data import register_sample

    monkeypatch.setenv("HWLIB_CACHE_DIR", str(tmp_path / "cache"))
    sample = register_sample("cifar10-fpga_latency", 200)       # registered here: the workers must know it
    kwargs = dict(datasets=["cifar10-fpga_latency", sample], predictors=["ridge", "mlp_small"], train_sizes=[11, 25],
                  seeds=range(2), params={"mlp_small": {"epochs": 3}}, progress=False)
    here = E.run_study(**kwargs, store=Store(tmp_path / "here"))
    pooled = Store(tmp_path / "pooled")
    workers = E.run_study(**kwargs, store=pooled, n_jobs=2)
    timings = list(E.TIMING_NAMES)
    pd.testing.assert_frame_equal(workers.drop(columns=timings), here.drop(columns=timings))
    runs = {r for t in pooled.tables() for r in pd.read_csv(pooled.root / f"{t}.csv")["run"]}
    assert len(runs) == 1                                   # one run for all the workers' records
    with pytest.raises(InputError, match="n_jobs"):
        E.run_study(**kwargs, store=pooled, n_jobs=0)
