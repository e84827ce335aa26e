"""The protocol's brief hyperparameter search (HPO): random search scored by 3-fold CV Kendall tau.

PROTOCOL.md, "Predictors and their defaults": random search; each candidate is scored by 3-fold
cross-validation, Kendall tau on the held-out fold (the released code mistakenly scored on the
training folds); the default configuration is tried first; NaN or negative scores count as 0;
the search only runs when there are at least 10 training samples. The paper's budget was 900 s
per 1000 training samples (:func:`paper_budget`); here the budget is a parameter.

Search-space convention
-----------------------
Every tuned regressor class declares what is searched as the class attribute named by
:data:`HPO_SPACE_ATTR`, ``hpo_space``: a dict mapping a constructor parameter to either a list of
values (drawn uniformly) or a frozen ``scipy.stats`` distribution (anything with
``rvs(random_state=...)``), the convention of :class:`sklearn.model_selection.ParameterSampler`::

    class RidgeRegressor(RegressorMixin, BaseEstimator):
        hpo_space = {"alpha": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5]}

    class GCNRegressor(...):
        hpo_space = {"hidden": IntLogUniform(64, 200),    # int(x), x log-uniform: 64..199
                     "lr": scipy.stats.loguniform(1e-5, 1e-1), ...}

Classes without it (or with an empty dict) are not tuned. The search works on the bare regressor
and encoded features ``X``; candidates are copies made with ``sklearn.base.clone`` and
``set_params``, so each inherits the estimator's ``random_state``.

Determinism: for a fixed ``random_state`` the sequence of candidates and the CV folds are fixed;
with ``max_iter`` alone the result is deterministic. A ``time_budget`` stops the search after
however many candidates fit in it, which depends on the machine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, ParameterSampler
from sklearn.utils import check_random_state

from .errors import InputError
from .metrics import kendalltau

__all__ = ["HPO_SPACE_ATTR", "MIN_TRAIN", "HPOResult", "hpo_space", "is_tunable", "cv_score",
           "random_search", "fit_tuned", "paper_budget"]

log = logging.getLogger(__name__)

#: Name of the class attribute holding a regressor's search space.
HPO_SPACE_ATTR = "hpo_space"
#: The search runs only with at least this many training samples.
MIN_TRAIN = 10


@dataclass
class HPOResult:
    """Outcome of :func:`random_search`.

    Attributes
    ----------
    best_params : dict
        Parameters of the best candidate (empty: the defaults won or no search ran).
    best_score : float
        Its mean held-out Kendall tau (NaN when no candidate was scored).
    n_tried : int
        Candidates scored, the defaults included.
    elapsed : float
        Wall-clock seconds spent.
    history : list of (dict, float)
        Every candidate's parameters and score, in the order tried.
    """

    best_params: dict[str, Any] = field(default_factory=dict)
    best_score: float = float("nan")
    n_tried: int = 0
    elapsed: float = 0.0
    history: list[tuple[dict[str, Any], float]] = field(default_factory=list)


def hpo_space(estimator_or_class) -> dict[str, Any]:
    """The search space declared by a regressor (instance or class); ``{}`` when not tuned."""
    return dict(getattr(estimator_or_class, HPO_SPACE_ATTR, None) or {})


def is_tunable(estimator_or_class) -> bool:
    """Whether the regressor declares a non-empty search space."""
    return bool(hpo_space(estimator_or_class))


def paper_budget(n_train: int, seconds_per_1000: float = 900.0) -> float:
    """The paper's HPO time budget for ``n_train`` samples (900 s per 1000)."""
    return seconds_per_1000 * n_train / 1000.0


def cv_score(estimator, X: np.ndarray, y: np.ndarray, n_folds: int = 3, random_state=None) -> float:
    """Mean held-out-fold Kendall tau of ``estimator`` under ``n_folds``-fold CV.

    A fold whose tau is NaN (constant predictions) or negative counts as 0.

    Parameters
    ----------
    estimator : regressor (unfitted; cloned per fold)
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    """
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=_fold_seed(random_state))
    scores = []
    for train, held in folds.split(X):
        model = clone(estimator).fit(X[train], y[train])
        tau = kendalltau(y[held], model.predict(X[held]))
        scores.append(tau if np.isfinite(tau) and tau > 0 else 0.0)
    return float(np.mean(scores))


def _fold_seed(random_state) -> int | None:
    """An int seed for KFold / ParameterSampler from an int, None or a RandomState."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return None if random_state is None else int(random_state)
    return int(check_random_state(random_state).randint(2**31 - 1))


def _candidates(space: dict[str, Any], max_iter: int, random_state) -> list[dict[str, Any]]:
    """The defaults (``{}``) first, then up to ``max_iter - 1`` random draws from ``space``."""
    draws: list[dict[str, Any]] = []
    if max_iter > 1 and space:
        seed = _fold_seed(random_state)
        all_lists = all(isinstance(v, (list, tuple)) for v in space.values())
        n = max_iter - 1
        if all_lists:  # ParameterSampler samples a finite grid without replacement; cap to its size
            n = min(n, int(np.prod([len(v) for v in space.values()])))
        draws = [dict(p) for p in ParameterSampler(space, n_iter=n, random_state=seed)]
    return [{}] + draws


def random_search(estimator, X, y, *, time_budget: float | None = None, max_iter: int = 20,
                  n_folds: int = 3, random_state=None) -> HPOResult:
    """Random search over the estimator's ``hpo_space``, defaults first.

    Parameters
    ----------
    estimator : regressor with class attribute ``hpo_space`` (unfitted; never modified)
    X : ndarray of shape (n, d)
        Encoded training features.
    y : ndarray of shape (n,)
    time_budget : float or None
        Seconds; no new candidate starts once spent (the defaults are always scored).
        None: no time limit.
    max_iter : int
        Most candidates scored, the defaults included.
    n_folds : int
    random_state : int or None
        Seeds the candidate draws and the folds.

    Returns
    -------
    HPOResult
        ``n_tried == 0`` when no search ran (fewer than :data:`MIN_TRAIN` samples, or no space).
    """
    if max_iter < 1:
        raise InputError(f"HPO max_iter must be >= 1, got {max_iter}")
    if time_budget is not None and time_budget < 0:
        raise InputError(f"HPO time budget must be >= 0 seconds, got {time_budget}")
    X, y = np.asarray(X), np.asarray(y, dtype=np.float64)
    space, start = hpo_space(estimator), time.perf_counter()
    result = HPOResult()
    if not space or len(y) < MIN_TRAIN:
        return result
    for params in _candidates(space, max_iter, random_state):
        if result.n_tried and time_budget is not None and time.perf_counter() - start >= time_budget:
            break
        score = cv_score(clone(estimator).set_params(**params), X, y, n_folds, random_state)
        result.history.append((params, score))
        result.n_tried += 1
        if result.n_tried == 1 or score > result.best_score:  # ties keep the earlier (defaults first)
            result.best_params, result.best_score = params, score
    result.elapsed = time.perf_counter() - start
    log.debug("HPO of %s: %d candidates in %.1f s, best %s (tau %.3f)", type(estimator).__name__,
              result.n_tried, result.elapsed, result.best_params, result.best_score)
    return result


def fit_tuned(estimator, X, y, *, time_budget: float | None = None, max_iter: int = 20,
              n_folds: int = 3, random_state=None):
    """Search (:func:`random_search`), then fit a clone with the best parameters on all of ``X``.

    Returns
    -------
    (fitted estimator, HPOResult)
    """
    result = random_search(estimator, X, y, time_budget=time_budget, max_iter=max_iter,
                           n_folds=n_folds, random_state=random_state)
    model = clone(estimator).set_params(**result.best_params).fit(X, y)
    return model, result
