"""Tests of the neural predictors (hwlib.predictors.neural and its private modules).

Small networks and few epochs keep the file fast; the study's defaults only appear where a
test says so.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler
from sklearn.utils.estimator_checks import estimator_checks_generator

from hwlib.encodings import encode
from hwlib.errors import InputError
from hwlib.hpo import hpo_space
from hwlib.metrics import kendalltau
from hwlib.predictors import make_regressor
from hwlib.predictors._mlp import StackedMLP, _with_ones
from hwlib.predictors._nao import to_sequence
from hwlib.predictors._torch import IntLogUniform, batch_slices, make_generators, member_seed
from hwlib.predictors.neural import (BANANASRegressor, BOHAMIANNRegressor, BONASRegressor,
                                     GCNRegressor, LargeMLPRegressor, SmallMLPRegressor,
                                     NAORegressor)

# small but working settings per class, and the encoding each takes
SMALL = {
    SmallMLPRegressor: (dict(epochs=20), "onehot"),
    LargeMLPRegressor: (dict(num_layers=3, layer_width=16, epochs=20), "onehot"),
    BANANASRegressor: (dict(num_layers=3, layer_width=16, epochs=20), "path"),
    BOHAMIANNRegressor: (dict(num_steps=40), "onehot"),
    GCNRegressor: (dict(hidden=16, linear_hidden=16, epochs=3), "graph"),
    BONASRegressor: (dict(hidden=16, batch_size=16, epochs=5), "graph"),
    NAORegressor: (dict(hidden=16, mlp_hidden=8, epochs=3), "graph"),
}
GRAPH = (GCNRegressor, BONASRegressor, NAORegressor)

# sklearn's checks that fit on generic random data: the graph models reject it, since their
# input must be the graph encoding (fixed width, a DAG and one-hot node types). Their contract
# is checked on real graph encodings below (test_graph_models_contract).
_DATA_CHECKS = (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self", "check_readonly_memmap_input",
    "check_n_features_in_after_fitting", "check_positive_only_tag_during_fit",
    "check_estimators_dtypes", "check_dtype_object", "check_pipeline_consistency",
    "check_estimators_nan_inf", "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_regressors_train", "check_regressor_data_not_an_array",
    "check_regressors_no_decision_function", "check_supervised_y_2d", "check_regressors_int",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1sample", "check_fit2d_1feature", "check_dict_unchanged", "check_fit_idempotent",
    "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d",
)
def _applicable_checks():
    """(estimator, check) pairs of sklearn's checks; the graph models without _DATA_CHECKS."""
    for cls, (kw, _) in SMALL.items():
        for estimator, check in estimator_checks_generator(cls(random_state=0, **kw)):
            name = getattr(check, "func", check).__name__
            if not (cls in GRAPH and name in _DATA_CHECKS):
                yield pytest.param(estimator, check, id=f"{cls.__name__}-{name}")


@pytest.mark.parametrize("estimator, check", list(_applicable_checks()))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def cells() -> np.ndarray:
    return np.array(list(itertools.product(range(5), repeat=6)), dtype=np.int64)


@pytest.fixture(scope="module")
def synthetic(cells) -> tuple[np.ndarray, np.ndarray]:
    """400 NB201 cells and an additive-plus-interaction metric."""
    rng = np.random.default_rng(0)
    A = cells[rng.choice(len(cells), 400, replace=False)]
    y = rng.normal(size=(6, 5))[np.arange(6), A].sum(1) + 0.5 * (A[:, 0] == A[:, 5])
    return A, y


def _features(cls, A) -> np.ndarray:
    return encode(A, SMALL[cls][1], "nb201")


@pytest.mark.parametrize("cls", list(SMALL), ids=lambda c: c.__name__)
def test_deterministic_per_random_state(cls, synthetic):
    A, y = synthetic
    X, kw = _features(cls, A), SMALL[cls][0]
    first = cls(random_state=3, **kw).fit(X[:100], y[:100]).predict(X[300:])
    again = cls(random_state=3, **kw).fit(X[:100], y[:100]).predict(X[300:])
    other = cls(random_state=4, **kw).fit(X[:100], y[:100]).predict(X[300:])
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("cls", list(SMALL), ids=lambda c: c.__name__)
def test_fit_predict_seeds_equals_single_fits(cls, synthetic):
    """The stacked fit of several seeds is, bit for bit, each seed's own fit."""
    A, y = synthetic
    X, kw = _features(cls, A), SMALL[cls][0]
    seeds = [5, 0, 17]
    rng = np.random.default_rng(1)
    rows = np.stack([rng.choice(len(A), 90, replace=False) for _ in seeds])
    X_train, y_train, X_test = X[rows[:, :70]], y[rows[:, :70]], X[rows[:, 70:]]
    stacked = cls.fit_predict_seeds(X_train, y_train, X_test, seeds, **kw)
    single = np.stack([cls(random_state=s, **kw).fit(X_train[i], y_train[i]).predict(X_test[i])
                       for i, s in enumerate(seeds)])
    np.testing.assert_array_equal(stacked, single)
    chunked = cls.fit_predict_seeds(X_train, y_train, X_test, seeds, max_stack=2, **kw)
    np.testing.assert_array_equal(chunked, single)


@pytest.mark.parametrize("n_train", [5, 13])
@pytest.mark.parametrize("cls, kw", [
    (BOHAMIANNRegressor, dict(num_steps=30)),
    (SmallMLPRegressor, dict(epochs=5, activation="tanh", layer_width=20)),
    (SmallMLPRegressor, dict(epochs=5, activation="hardswish", layer_width=20)),
    (LargeMLPRegressor, dict(epochs=2, num_layers=2, layer_width=128)),  # predicts in chunks
    (BANANASRegressor, dict(epochs=3, num_layers=2, layer_width=12)),
    (GCNRegressor, dict(hidden=24, linear_hidden=12, epochs=2)),
    (GCNRegressor, dict(hidden=24, linear_hidden=12, epochs=2, released_code_quirks=True)),
    (BONASRegressor, dict(hidden=12, batch_size=4, epochs=3, released_code_quirks=True)),
], ids=["bohamiann", "mlp-tanh", "mlp-hardswish", "mlp-wide", "bananas", "gcn", "gcn-quirks",
        "bonas-quirks"])
def test_fit_predict_seeds_equals_single_fits_at_awkward_sizes(cls, kw, n_train, synthetic):
    """Odd batch sizes and more test rows than one prediction chunk change nothing."""
    A, y = synthetic
    X = _features(cls, A)
    rng = np.random.default_rng(2)
    rows = np.stack([rng.choice(len(A), n_train, replace=False) for _ in range(3)])
    stacked = cls.fit_predict_seeds(X[rows], y[rows], X, [0, 1, 2], **kw)
    single = np.stack([cls(random_state=s, **kw).fit(X[rows[s]], y[rows[s]]).predict(X)
                       for s in range(3)])
    np.testing.assert_array_equal(stacked, single)


@pytest.mark.parametrize("cls", list(SMALL), ids=lambda c: c.__name__)
def test_a_seed_does_not_depend_on_its_stack(cls, synthetic):
    """Seed 17's predictions are the same in stacks of different sizes and companions."""
    A, y = synthetic
    X, kw = _features(cls, A), SMALL[cls][0]
    rows = np.random.default_rng(3).choice(len(A), (4, 40), replace=False)
    first = cls.fit_predict_seeds(X[rows[:3]], y[rows[:3]], X[300:], [5, 17, 0], **kw)[1]
    order = [3, 1, 2, 0]
    second = cls.fit_predict_seeds(X[rows[order]], y[rows[order]], X[300:], [8, 17, 2, 9],
                                   **kw)[1]
    np.testing.assert_array_equal(first, second)


def test_gcn_released_code_quirks(synthetic):
    """Summed gradients and a strictly dropped last batch: fewer samples than a batch, no
    training (the untrained network, whatever the epochs); whole batches only, as
    ``accumulate_grad``."""
    A, y = synthetic
    X = _features(GCNRegressor, A)
    kw = dict(hidden=16, linear_hidden=16, batch_size=7)
    fit = lambda n, **more: GCNRegressor(random_state=1, **kw, **more).fit(X[:n], y[:n]).predict(
        X[300:])
    untrained = fit(6, epochs=1, released_code_quirks=True)
    np.testing.assert_array_equal(fit(6, epochs=4, released_code_quirks=True), untrained)
    assert not np.allclose(fit(6, epochs=4), untrained)
    np.testing.assert_array_equal(fit(20, epochs=3, released_code_quirks=True),
                                  fit(20, epochs=3, accumulate_grad=True))
    assert not np.allclose(fit(20, epochs=3, released_code_quirks=True), fit(20, epochs=3))


def test_bonas_released_code_quirks(synthetic):
    """BONAS' released code summed gradients but kept the last incomplete batch: the quirks
    are ``accumulate_grad``, also with fewer samples than a batch."""
    A, y = synthetic
    X = _features(BONASRegressor, A)
    kw = dict(hidden=16, batch_size=16, epochs=3, random_state=1)
    for n in (10, 40):
        quirks = BONASRegressor(released_code_quirks=True, **kw).fit(X[:n], y[:n])
        summed = BONASRegressor(accumulate_grad=True, **kw).fit(X[:n], y[:n])
        np.testing.assert_array_equal(quirks.predict(X[300:]), summed.predict(X[300:]))
        assert not np.allclose(quirks.predict(X[300:]),
                               BONASRegressor(**kw).fit(X[:n], y[:n]).predict(X[300:]))


def test_fit_predict_seeds_shared_test_set(synthetic):
    A, y = synthetic
    X = _features(SmallMLPRegressor, A)
    X_train, y_train = np.stack([X[:50], X[50:100]]), np.stack([y[:50], y[50:100]])
    shared = SmallMLPRegressor.fit_predict_seeds(X_train, y_train, X[300:], [0, 1], epochs=5)
    per_seed = SmallMLPRegressor.fit_predict_seeds(X_train, y_train, np.stack([X[300:]] * 2), [0, 1],
                                              epochs=5)
    np.testing.assert_array_equal(shared, per_seed)


def test_fit_predict_seeds_reports_training_and_prediction_times(synthetic):
    A, y = synthetic
    X = _features(SmallMLPRegressor, A)
    X_train, y_train = np.stack([X[:50], X[50:100]]), np.stack([y[:50], y[50:100]])
    times = {}
    SmallMLPRegressor.fit_predict_seeds(X_train, y_train, X[300:], [0, 1], epochs=20, times=times)
    assert set(times) == {"fit", "query"}
    assert 0 <= times["query"] < times["fit"]      # 20 epochs of training against one forward pass


@pytest.mark.parametrize("bad", [
    dict(X_train=np.zeros((2, 10, 30)), y_train=np.zeros((2, 9)), X_test=np.zeros((2, 5, 30))),
    dict(X_train=np.zeros((3, 10, 30)), y_train=np.zeros((3, 10)), X_test=np.zeros((3, 5, 30))),
    dict(X_train=np.zeros((2, 10, 30)), y_train=np.zeros((2, 10)), X_test=np.zeros((2, 5, 29))),
    dict(X_train=np.full((2, 10, 30), np.nan), y_train=np.zeros((2, 10)),
         X_test=np.zeros((2, 5, 30))),
])
def test_fit_predict_seeds_rejects_bad_shapes(bad):
    with pytest.raises(InputError):
        SmallMLPRegressor.fit_predict_seeds(seeds=[0, 1], epochs=1, **bad)


def test_fit_predict_seeds_rejects_a_random_state():
    X = np.zeros((2, 10, 30))
    with pytest.raises(InputError, match="seeds"):
        SmallMLPRegressor.fit_predict_seeds(X, np.zeros((2, 10)), X, [0, 1], random_state=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "hardswish"])
def test_mlp_backprop_matches_autograd(activation):
    """The hand-written backward pass gives autograd's gradient of L1 + 0.2 L1(output weights)."""
    gens = make_generators([0, 1])
    model = StackedMLP.initialise([7, 5, 4, 1], gens, activation)
    g = torch.Generator().manual_seed(0)
    xb = torch.cat([torch.randn(2, 6, 7, generator=g), torch.ones(2, 6, 1)], dim=2)
    y = torch.randn(2, 6, generator=g)
    out = model.forward(xb)
    dout = torch.zeros_like(out)
    dout[..., 0] = torch.sign(out[..., 0] - y) / 6
    model.backward(xb, dout, 0.2)

    theta = model.theta.clone().requires_grad_()
    W = [t.view(w.shape) for t, w in zip(theta[:sum(w.numel() for w in model.W)].split(
        [w.numel() for w in model.W]), model.W)]
    act = {"relu": torch.relu, "tanh": torch.tanh,
           "hardswish": torch.nn.functional.hardswish}[activation]
    h = xb[..., :-1]
    for w in W[:-1]:
        h = act(h @ w[:, :-1] + w[:, -1:])
    pred = (h @ W[-1][:, :-1] + W[-1][:, -1:])[..., 0]
    loss = (pred - y).abs().mean(1).sum() + 0.2 * W[-1][:, :-1, 0].abs().sum()
    loss.backward()
    torch.testing.assert_close(model.grad, theta.grad, rtol=1e-5, atol=1e-6)


def test_gcn_backward_is_autograds(synthetic):
    """The GCN's hand-written gradients equal autograd's, bit for bit (with dropout)."""
    from hwlib.predictors._graph import StackedGCN, _mse_grad
    A, y = synthetic
    X = encode(A[:40], "graph", "nb201")
    cfg = GCNRegressor(hidden=24, linear_hidden=12, dropout=0.2)._config()
    manual, auto = (StackedGCN((8, 7), cfg, make_generators([3, 4])) for _ in range(2))
    data = manual.data(np.stack([X, X[::-1]]))
    auto.data(np.stack([X, X[::-1]]))
    types, target = data.take(torch.arange(0, 14), 2), torch.randn(2, 7)
    grads = [torch.zeros_like(p) for p in manual.flat.views()]
    tape = []
    out = manual.forward(manual.flat.views(), types, train=True, tape=tape)
    manual.backward(manual.flat.views(), grads, tape, _mse_grad(out, target))
    params = [p.requires_grad_() for p in auto.flat.views()]
    loss = ((auto.forward(params, types, train=True) - target) ** 2).mean(1).sum()
    for g, a in zip(grads, torch.autograd.grad(loss, params)):
        np.testing.assert_array_equal(g, a)


def test_bananas_is_an_ensemble_of_large_mlps(synthetic):
    """Member 0 of BANANAS seeded s is the large MLP seeded s; it predicts the members' mean."""
    A, y = synthetic
    X = encode(A, "path", "nb201")
    kw = dict(num_layers=2, layer_width=8, epochs=5, random_state=4)
    mlp = LargeMLPRegressor(**kw).fit(X[:80], y[:80])
    np.testing.assert_array_equal(BANANASRegressor(n_members=1, **kw).fit(X[:80], y[:80])
                                  .predict(X[300:]), mlp.predict(X[300:]))
    pair = BANANASRegressor(n_members=2, **kw).fit(X[:80], y[:80])
    members = pair.model_.predict(_with_ones(X[None, 300:]).expand(2, -1, -1)).numpy()
    np.testing.assert_allclose(members[0] * pair.y_std_[0] + pair.y_mean_[0], mlp.predict(X[300:]),
                               rtol=1e-6)
    np.testing.assert_allclose(pair.predict(X[300:]),
                               members.mean(0) * pair.y_std_[0] + pair.y_mean_[0], rtol=1e-6)


@pytest.mark.parametrize("cls", GRAPH, ids=lambda c: c.__name__)
def test_graph_models_contract(cls, synthetic):
    """What sklearn's data checks would cover, on real graph encodings."""
    A, y = synthetic
    X, kw = _features(cls, A), SMALL[cls][0]
    model = cls(random_state=0, **kw)
    assert model.fit(X[:60], y[:60]) is model
    assert model.n_features_in_ == X.shape[1]
    pred = model.predict(X[300:])
    assert pred.shape == (100,) and np.isfinite(pred).all()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X[300:]), pred)
    perm = np.random.default_rng(0).permutation(100)
    np.testing.assert_allclose(model.predict(X[300:][perm]), pred[perm], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.predict(X[300:350]), pred[:50], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(clone(model).fit(X[:60], y[:60]).predict(X[300:]), pred)
    with pytest.raises(InputError, match="graph encoding"):
        cls(**kw).fit(X[:60, :-1], y[:60])
    with pytest.raises(ValueError, match="features"):
        model.predict(X[300:, :-1])
    with pytest.raises(ValueError):
        cls(**kw).fit(np.where(np.eye(len(X[:60]), X.shape[1]) > 0, np.nan, X[:60]), y[:60])


@pytest.mark.parametrize("cls", GRAPH, ids=lambda c: c.__name__)
def test_graph_models_need_a_cell_space(cls):
    with pytest.raises(InputError, match="cell search space"):
        cls(search_space="transnas_macro").fit(np.zeros((5, 128)), np.arange(5.0))


def test_graph_models_run_on_the_micro_space(cells):
    A = cells[cells.max(1) < 4][:60]
    y = A.sum(1).astype(float)
    X = encode(A, "graph", "transnas_micro")
    model = make_regressor("bonas", "transnas_micro", random_state=0, epochs=2, hidden=8)
    assert model.search_space == "transnas_micro"
    assert model.fit(X, y).predict(X).shape == (60,)


def test_graph_models_reject_differing_adjacency(synthetic):
    A, y = synthetic
    X = encode(A[:20], "graph", "nb201")
    X[0, 1] = 1.0 - X[0, 1]
    with pytest.raises(InputError, match="adjacency"):
        GCNRegressor(epochs=1).fit(X, y[:20])


@pytest.mark.parametrize("params", [dict(activation="sigmoid"), dict(num_layers=0),
                                    dict(lr=0.0), dict(epochs=0)])
def test_bad_parameters_raise_input_error(params, synthetic):
    A, y = synthetic
    with pytest.raises(InputError):
        SmallMLPRegressor(**params).fit(encode(A[:10], "onehot", "nb201"), y[:10])


@pytest.mark.parametrize("cls", [SmallMLPRegressor, LargeMLPRegressor, BANANASRegressor,
                                 GCNRegressor, BONASRegressor], ids=lambda c: c.__name__)
def test_hpo_space_candidates_are_valid(cls, synthetic):
    """Every drawn candidate sets valid parameters and fits (on tiny settings)."""
    A, y = synthetic
    X = _features(cls, A)
    space = hpo_space(cls)
    assert space and set(space) <= set(cls().get_params())
    for params in ParameterSampler(space, n_iter=3, random_state=0):
        model = cls(random_state=0, **{**SMALL[cls][0], **params, "epochs": 1})
        if "num_layers" in params:
            model.set_params(num_layers=min(params["num_layers"], 3),
                             layer_width=min(params["layer_width"], 16))
        assert np.isfinite(model.fit(X[:40], y[:40]).predict(X[300:310])).all()


def test_int_log_uniform_range():
    dist = IntLogUniform(5, 32)
    draws = dist.rvs(size=2000, random_state=0)
    assert draws.min() == 5 and draws.max() == 31
    assert isinstance(dist.rvs(random_state=1), int)
    assert (draws < 12).mean() > 0.4  # log-uniform: as many draws in [5, 12) as in [12, 32)


@pytest.mark.parametrize("n, batch, drop_last, strict, expected", [
    (10, 4, False, False, [4, 4, 2]), (10, 4, True, False, [4, 4]), (3, 7, True, False, [3]),
    (8, 4, True, False, [4, 4]), (3, 7, True, True, []), (10, 4, True, True, [4, 4]),
    (3, 7, False, True, [3])])
def test_batch_slices(n, batch, drop_last, strict, expected):
    assert [s.stop - s.start for s in batch_slices(n, batch, drop_last, strict)] == expected


def test_dropout_masks_per_member_stream():
    """A member's masks are its own draws, whatever the stack, also into a reused buffer."""
    from hwlib.predictors._torch import dropout_masks
    sizes, p = [40, 24], 0.3
    alone = dropout_masks(make_generators([7]), sizes, p)
    buf = torch.full((3, 64), np.nan)
    stacked = dropout_masks(make_generators([1, 7, 2]), sizes, p, out=buf)
    for a, s in zip(alone, stacked):
        np.testing.assert_array_equal(a[0], s[1])
    u = torch.rand(64, generator=make_generators([7])[0])
    np.testing.assert_array_equal(torch.cat(alone, 1)[0], (u >= p).float() / (1 - p))


def test_member_seeds_differ():
    seeds = {member_seed(s, k) for s in range(20) for k in range(3)}
    assert len(seeds) == 60
    assert member_seed(-1) != member_seed(1)


def test_nao_sequence_encodes_connections_and_types():
    """Per node after the input: its incoming connections (1 absent, 2 present), its type + 2."""
    adj = np.array([[[0, 1, 1], [0, 0, 1], [0, 0, 0]]])
    types = np.eye(3)[None, [0, 1, 2]]
    np.testing.assert_array_equal(to_sequence(adj, types), [[2, 3, 2, 2, 4]])


def test_predictions_are_in_target_units(synthetic):
    A, y = synthetic
    X = encode(A, "onehot", "nb201")
    model = SmallMLPRegressor(random_state=0, epochs=30).fit(X[:200], 1000 + 50 * y[:200])
    pred = model.predict(X[300:])
    assert abs(pred.mean() - (1000 + 50 * y[300:].mean())) < 50


# study-like settings, shortened where the defaults would take minutes
REAL = {
    "mlp_small": dict(),
    "mlp_large": dict(epochs=100),
    "bananas": dict(epochs=100),
    "bohamiann": dict(),
    "gcn": dict(epochs=15, lr=1e-3),
    "bonas": dict(epochs=50, lr=1e-3),
    "nao": dict(epochs=15),
}


@pytest.mark.data
@pytest.mark.parametrize("name", list(REAL))
def test_above_chance_on_real_data(name, require_data):
    """Kendall tau well above chance at 200 training samples on a real HW-NAS dataset.

    Measured (seeds 0-2): 0.62-0.82; the paper's small MLP reaches about 0.8 there.
    """
    from hwlib.data import load_dataset
    from hwlib.predictors import make_predictor
    ds = load_dataset("cifar10-raspi4_latency")
    rng = np.random.default_rng(0)
    rows = rng.choice(ds.n_archs, 1200, replace=False)
    train, test = rows[:200], rows[200:]
    model = make_predictor(name, ds.search_space, random_state=0, **REAL[name])
    pred = model.fit(ds.A[train], ds.y_z[train]).predict(ds.A[test])
    assert kendalltau(ds.y_z[test], pred) > 0.5


def test_bonas_trains_large_stacks_in_parts_of_a_few_members_alike(synthetic, monkeypatch):
    """BONAS caps its stacks (its arrays would leave the caches); the parts train as the whole."""
    assert BONASRegressor()._stack_limit(124) == 5 and BONASRegressor()._stack_limit(25) == 25
    assert BONASRegressor(hidden=8, batch_size=16)._stack_limit(1000) == 320
    A, y = synthetic
    X = _features(BONASRegressor, A)
    rows = np.stack([np.arange(40) + 7 * s for s in range(3)])
    kw = dict(epochs=2, hidden=8, batch_size=16)
    whole = BONASRegressor.fit_predict_seeds(X[rows], y[rows], X[300:], [0, 1, 2], max_stack=3, **kw)
    monkeypatch.setattr(BONASRegressor, "STACK_ACTIVATIONS", 16 * 8)        # one member at a time
    stacks = []
    fit_stack = BONASRegressor._fit_stack
    monkeypatch.setattr(BONASRegressor, "_fit_stack",
                        lambda self, X, yz, seeds: stacks.append(len(seeds)) or fit_stack(self, X, yz, seeds))
    parts = BONASRegressor.fit_predict_seeds(X[rows], y[rows], X[300:], [0, 1, 2], **kw)
    assert stacks == [1, 1, 1]
    np.testing.assert_array_equal(parts, whole)
