"""The classic regressors: scikit-learn's estimator checks, determinism, the protocol's defaults,
and skill (well above chance) on synthetic and real data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from hwlib.encodings import onehot
from hwlib.metrics import kendalltau
from hwlib.predictors import REGISTRY, UnknownPredictor, labels_in_words, make_predictor, make_regressor
from hwlib.predictors import classic as C

CLASSIC = [name for name, spec in REGISTRY.items() if spec.target.startswith("hwlib.predictors.classic:")]

# The estimator checks fit dozens of times on tiny random data; the boosted and iterative models
# run with fewer rounds/steps there (the contract does not depend on them; defaults are tested below).
CHECKED = [C.LinearRegressor(), C.RidgeRegressor(), C.BayesianLinearRegressor(), C.SVMRegressor(),
           C.GPRegressor(), C.SparseGPRegressor(n_steps=10), C.RFRegressor(n_estimators=10),
           C.XGBoostRegressor(n_estimators=10), C.NGBoostRegressor(n_estimators=10), C.LightGBMRegressor(n_estimators=10)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ngboost overflows on the checks' wild data
@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_classic_predictor_is_checked():
    assert len(CLASSIC) == 10
    assert {type(e).__name__ for e in CHECKED} == {REGISTRY[n].target.split(":")[1] for n in CLASSIC}


#: Shorter runs where only reproducibility is tested (the slow part is the same code path).
FAST = {"ngb": {"n_estimators": 60}, "sparse_gp": {"n_steps": 40}}


def _synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """NB201 cells with a non-linear, interaction-laden synthetic metric; X one-hot."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 5, size=(n, 6))
    w = np.random.default_rng(99).normal(size=(6, 5))
    y = w[np.arange(6), A].sum(axis=1)
    y = y + 0.5 * (A[:, 0] == A[:, 5]) + 0.1 * rng.normal(size=n)
    return onehot(A, "nb201"), np.exp(y / 3)


@pytest.mark.parametrize("name", CLASSIC)
def test_same_seed_same_predictions(name):
    X, y = _synthetic(120)
    fit = lambda: make_regressor(name, random_state=3, **FAST.get(name, {})).fit(X[:100], y[:100]).predict(X[100:])  # noqa: E731
    np.testing.assert_array_equal(fit(), fit())


@pytest.mark.parametrize("name", ["rf", "ngb", "lgb", "sparse_gp"])
def test_seed_matters_for_randomised_models(name):
    X, y = _synthetic(120)
    preds = [make_regressor(name, random_state=s, **FAST.get(name, {})).fit(X[:100], y[:100]).predict(X[100:]) for s in (0, 1)]
    assert not np.array_equal(*preds)


@pytest.mark.parametrize("name", ["lr", "ridge", "gp", "svr"])
def test_target_scaling_is_undone(name):
    """z-scoring y on the training set makes the fit equivariant to affine maps of y."""
    X, y = _synthetic(80)
    p = make_regressor(name, random_state=0).fit(X[:60], y[:60]).predict(X[60:])
    q = make_regressor(name, random_state=0).fit(X[:60], 1000 * y[:60] - 5).predict(X[60:])
    np.testing.assert_allclose(q, 1000 * p - 5, rtol=1e-6, atol=1e-6)


def test_protocol_defaults():
    get = lambda name: make_regressor(name).get_params()  # noqa: E731
    assert get("ridge")["alpha"] == 1.0
    assert (get("svr")["kernel"], get("svr")["C"]) == ("rbf", 1.0)
    assert (get("gp")["variance"], get("gp")["lengthscale"], get("gp")["noise"]) == (5.0, 10.0, 1.0)
    assert (get("sparse_gp")["n_inducing"], get("sparse_gp")["n_steps"]) == (10, 200)
    rf = get("rf")
    assert (rf["n_estimators"], rf["max_features"], rf["min_samples_leaf"], rf["bootstrap"]) == (116, 0.17, 2, False)
    xgb = get("xgb")
    assert (xgb["n_estimators"], xgb["max_depth"], xgb["learning_rate"]) == (500, 6, 0.3)
    ngb = get("ngb")
    assert (ngb["n_estimators"], ngb["learning_rate"], ngb["max_depth"], ngb["max_features"],
            ngb["minibatch_frac"]) == (505, 0.081, 6, 0.79, 0.5)
    lgb = get("lgb")
    assert (lgb["n_estimators"], lgb["num_leaves"], lgb["learning_rate"], lgb["feature_fraction"],
            lgb["bagging_fraction"], lgb["bagging_freq"], lgb["min_data_in_leaf"]) == (500, 31, 0.05, 0.9, 0.8, 5, 5)


def test_only_the_protocols_tuned_predictors_declare_a_search_space():
    from hwlib.hpo import is_tunable
    for name in CLASSIC:
        assert is_tunable(REGISTRY[name].regressor_class()) == REGISTRY[name].tuned, name
    assert C.RidgeRegressor.hpo_space["alpha"] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5]
    assert C.SVMRegressor.hpo_space["C"] == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]


def test_labels_in_words():
    assert labels_in_words(["gcn", "bonas", "nao"]) == "GCN, BONAS and NAO"
    assert labels_in_words(["gcn", "nao"]) == "GCN and NAO"
    assert labels_in_words(["lr"]) == "Linear Regression"
    assert labels_in_words([]) == ""
    with pytest.raises(UnknownPredictor, match="'gnc'"):
        labels_in_words(["gnc"])


def test_gp_matches_scikit_learn():
    """The in-place Cholesky GP equals sklearn's GaussianProcessRegressor with fixed hyperparameters."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel
    X, y = _synthetic(150)
    z = (y[:100] - y[:100].mean()) / y[:100].std()
    ref = GaussianProcessRegressor(ConstantKernel(5.0, "fixed") * RBF(10.0, "fixed"), alpha=1.0,
                                   optimizer=None).fit(X[:100], z).predict(X[100:])
    ours = C.GPRegressor().fit(X[:100], y[:100]).predict(X[100:])
    np.testing.assert_allclose(ours, ref * y[:100].std() + y[:100].mean(), rtol=1e-8)


@pytest.mark.parametrize("space, codes", [("nb201", 5), ("transnas_micro", 4)])
def test_gp_structured_solver_matches_dense(space, codes):
    """The Kronecker/CG path (one-hot input of a known space) equals the dense Cholesky path."""
    rng = np.random.default_rng(1)
    A = rng.integers(0, codes, size=(700, 6))
    y = np.sin(A @ rng.normal(size=6)) + 0.1 * rng.normal(size=700)
    X = onehot(A, space)
    fast = C.GPRegressor(search_space=space).fit(X[:500], y[:500])
    dense = C.GPRegressor().fit(X[:500], y[:500])
    assert fast.grid_ is not None and dense.grid_ is None
    np.testing.assert_allclose(fast.predict(X[500:]), dense.predict(X[500:]), rtol=1e-7, atol=1e-8)
    # rows that are not that one-hot encoding take the dense path
    noisy = X[500:] + 0.01
    np.testing.assert_allclose(fast.predict(noisy), dense.predict(noisy), rtol=1e-7, atol=1e-8)


def test_registry_gp_uses_the_structured_solver():
    assert make_regressor("gp", "nb201").search_space == "nb201"


def test_sparse_gp_approaches_exact_gp_with_many_inducing_points():
    X, y = _synthetic(200)
    exact = C.GPRegressor().fit(X[:150], y[:150]).predict(X[150:])
    sparse = C.SparseGPRegressor(n_inducing=150, n_steps=0).fit(X[:150], y[:150])
    # with every training row as an inducing point and the exact GP's hyperparameters, SGPR is exact
    sparse.params_.update(variance=5.0, lengthscale=10.0, noise=1.0)
    sparse.params_["Z"] = X[:150].astype(float)
    from hwlib.predictors.classic import _sgpr_posterior
    z = (y[:150] - sparse.y_mean_) / sparse.y_std_
    sparse.inducing_, sparse.q_mean_ = _sgpr_posterior(sparse.params_, X[:150].astype(float), z)
    np.testing.assert_allclose(sparse.predict(X[150:]), exact, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", CLASSIC)
def test_above_chance_on_synthetic_data(name):
    X, y = _synthetic(400)
    model = make_regressor(name, random_state=0, **FAST.get(name, {}))   # defaults: real-data test below
    tau = kendalltau(y[200:], model.fit(X[:200], y[:200]).predict(X[200:]))
    assert tau > 0.5, f"{name}: tau {tau:.3f}"


@pytest.fixture(scope="module")
def raspi4(require_data):
    from hwlib.data import load_dataset
    from hwlib.protocol import split
    ds = load_dataset("cifar10-raspi4_latency")
    test, pool = split(ds.n_archs, 0, 625)
    return ds, pool[:200], test


@pytest.mark.parametrize("name", CLASSIC)
def test_above_chance_on_real_data_at_200_samples(raspi4, name):
    ds, train, test = raspi4
    model = make_predictor(name, ds.search_space, random_state=0).fit(ds.A[train], ds.y_z[train])
    tau = kendalltau(ds.y_z[test], model.predict(ds.A[test]))
    # chance is 0; Linear Regression reaches about 0.8 here
    assert tau > 0.6, f"{name}: tau {tau:.3f} on cifar10-raspi4_latency"


def test_clone_keeps_parameters():
    est = C.LightGBMRegressor(num_leaves=7, random_state=5)
    assert clone(est).get_params() == est.get_params()


def test_ngboost_base_learner_is_sklearns_tree_bit_for_bit():
    from sklearn.base import clone
    from sklearn.tree import DecisionTreeRegressor

    from hwlib.predictors._ngboost_normal import QuickTree

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 12)), rng.normal(size=200)
    params = dict(criterion="friedman_mse", max_depth=6, max_features=0.79, random_state=3)
    quick, plain = QuickTree(**params), DecisionTreeRegressor(**params)
    assert quick.get_params() == plain.get_params()
    copy = clone(quick).set_params(random_state=5)
    assert type(copy) is QuickTree and copy.get_params() == dict(plain.get_params(), random_state=5)
    weights = rng.uniform(size=200)
    np.testing.assert_array_equal(quick.fit(X, y, sample_weight=weights).predict(X[:50]),
                                  plain.fit(X, y, sample_weight=weights).predict(X[:50]))
