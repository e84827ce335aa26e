"""The brief hyperparameter search: defaults first, held-out scoring, clipping, budgets, seeding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin

from hwlib import hpo
from hwlib.errors import InputError
from hwlib.predictors.classic import LinearRegressor, RidgeRegressor


class Memoriser(RegressorMixin, BaseEstimator):
    """Perfect on rows it saw, noise elsewhere: scores 1 on training folds, about 0 held out."""

    hpo_space = {"noise": [1.0, 2.0]}

    def __init__(self, noise: float = 1.0, random_state=None):
        self.noise = noise
        self.random_state = random_state

    def fit(self, X, y):
        self.table_ = {tuple(x): v for x, v in zip(np.asarray(X), y)}
        return self

    def predict(self, X):
        rng = np.random.default_rng(0)
        return np.array([self.table_.get(tuple(x), rng.normal(scale=self.noise)) for x in np.asarray(X)])


class Constant(Memoriser):
    def predict(self, X):
        return np.zeros(len(X))


class Inverted(Memoriser):
    """Anti-correlated predictions: tau -1 on every fold."""

    def fit(self, X, y):
        self.coef_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
        return self

    def predict(self, X):
        return -(np.c_[X, np.ones(len(X))] @ self.coef_)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=90)


def test_cv_scores_held_out_folds(data):
    X, y = data
    # the released code scored training folds, where a memoriser is perfect
    assert hpo.cv_score(Memoriser(), X, y, random_state=0) < 0.3


def test_nan_and_negative_scores_count_as_zero(data):
    X, y = data
    assert hpo.cv_score(Constant(), X, y, random_state=0) == 0.0
    assert hpo.cv_score(Inverted(), X, y, random_state=0) == 0.0


def test_defaults_first_and_grid_exhausted_without_repeats(data):
    X, y = data
    result = hpo.random_search(RidgeRegressor(), X, y, max_iter=50, random_state=1)
    params = [p for p, _ in result.history]
    assert params[0] == {}                                        # the defaults
    assert result.n_tried == 1 + 8                                 # 8 alphas, none twice
    assert sorted(p["alpha"] for p in params[1:]) == RidgeRegressor.hpo_space["alpha"]
    assert result.best_score == max(s for _, s in result.history)


def test_seeded_and_deterministic(data):
    X, y = data
    runs = [hpo.random_search(RidgeRegressor(), X, y, max_iter=4, random_state=s).history for s in (3, 3, 4)]
    assert runs[0] == runs[1]
    assert [p for p, _ in runs[0]] != [p for p, _ in runs[2]]


def test_distributions_are_sampled(data):
    X, y = data

    class Tuned(RidgeRegressor):
        hpo_space = {"alpha": stats.loguniform(1e-3, 1e2)}

    result = hpo.random_search(Tuned(), X, y, max_iter=6, random_state=0)
    alphas = [p["alpha"] for p, _ in result.history[1:]]
    assert len(alphas) == 5 and all(1e-3 <= a <= 1e2 for a in alphas)


def test_no_search_below_ten_samples_or_without_space(data):
    X, y = data
    assert hpo.random_search(RidgeRegressor(), X[:9], y[:9], max_iter=5).n_tried == 0
    assert hpo.random_search(LinearRegressor(), X, y).n_tried == 0      # declares no search space
    model, result = hpo.fit_tuned(RidgeRegressor(alpha=2.0), X[:9], y[:9])
    assert result.n_tried == 0 and model.alpha == 2.0 and hasattr(model, "y_std_")


def test_time_budget_zero_scores_only_the_defaults(data):
    X, y = data
    assert hpo.random_search(RidgeRegressor(), X, y, time_budget=0.0, max_iter=50).n_tried == 1


def test_fit_tuned_fits_the_winner(data):
    X, y = data
    model, result = hpo.fit_tuned(RidgeRegressor(), X, y, max_iter=9, random_state=0)
    assert model.alpha == result.best_params.get("alpha", 1.0)
    assert hasattr(model, "y_std_")


def test_bad_budgets():
    X, y = np.zeros((20, 2)), np.arange(20.0)
    with pytest.raises(InputError):
        hpo.random_search(RidgeRegressor(), X, y, max_iter=0)
    with pytest.raises(InputError):
        hpo.random_search(RidgeRegressor(), X, y, time_budget=-1)


def test_paper_budget():
    assert hpo.paper_budget(1000) == 900.0 and hpo.paper_budget(124) == pytest.approx(111.6)
