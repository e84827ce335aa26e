"""How well predictions match the truth: the study's flat record of metrics per run.

Every function takes ``(y_true, y_pred)``, two 1-D arrays of the same length (architectures,),
and returns a float. :func:`evaluate_predictions` returns all of them as one flat dict, the
record stored for each (dataset, predictor, train size, seed) run (PROTOCOL.md, "Splits, sizes,
seeds": Kendall tau, Spearman, Pearson, MAE, RMSE, Kendall tau of predictions rounded to 1 and
2 decimals, precision@10/@20, mean and std of the deviations).

Rank correlations follow scipy (Kendall's tau-b, Spearman's rho); they are NaN where undefined
(a constant ``y_pred``), as in scipy and in the released code, so that such runs stay visible.

>>> import numpy as np
>>> evaluate_predictions(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))["kendalltau"]
0.3333333333333333
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from .errors import InputError

__all__ = ["kendalltau", "spearman", "pearson", "mae", "rmse", "kendalltau_rounded",
           "precision_at_k", "deviation_mean", "deviation_std", "evaluate_predictions", "METRIC_NAMES"]

#: Keys of :func:`evaluate_predictions`' record, in this order.
METRIC_NAMES = ("kendalltau", "spearman", "pearson", "mae", "rmse", "kendalltau_round1",
                "kendalltau_round2", "precision_at_10", "precision_at_20", "dev_mean", "dev_std")


def _check(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 1-D of one length; raises :class:`InputError` otherwise."""
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise InputError(f"y_true and y_pred differ in length: {t.shape[0]} vs {p.shape[0]}")
    if t.size == 0:
        raise InputError("metrics need at least one architecture, got none")
    return t, p


def _quiet(fn, *args) -> float:
    """Call a scipy statistic; a constant input gives NaN without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(*args)[0])


def kendalltau(y_true, y_pred) -> float:
    """Kendall's tau-b rank correlation (the study's headline metric); NaN if undefined."""
    t, p = _check(y_true, y_pred)
    return _quiet(stats.kendalltau, t, p) if t.size > 1 else float("nan")


def spearman(y_true, y_pred) -> float:
    """Spearman's rank correlation; NaN if undefined."""
    t, p = _check(y_true, y_pred)
    return _quiet(stats.spearmanr, t, p) if t.size > 1 else float("nan")


def pearson(y_true, y_pred) -> float:
    """Pearson's linear correlation (signed; the released code took its absolute value); NaN if undefined."""
    t, p = _check(y_true, y_pred)
    if t.size < 2 or np.ptp(t) == 0 or np.ptp(p) == 0:
        return float("nan")
    return _quiet(stats.pearsonr, t, p)


def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    t, p = _check(y_true, y_pred)
    return float(np.mean(np.abs(p - t)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error."""
    t, p = _check(y_true, y_pred)
    return float(np.sqrt(np.mean((p - t) ** 2)))


def kendalltau_rounded(y_true, y_pred, decimals: int) -> float:
    """Kendall's tau against predictions rounded to ``decimals`` (ties a coarse predictor would make)."""
    t, p = _check(y_true, y_pred)
    return kendalltau(t, np.round(p, decimals))


def precision_at_k(y_true, y_pred, k: int) -> float:
    """Share of the ``k`` largest true values that are also among the ``k`` largest predictions.

    As in the released code (NASLib's ``compute_scores``), "top" means largest; ties are broken
    by position (stable sort). ``k`` is clipped to the number of architectures.
    """
    t, p = _check(y_true, y_pred)
    if k < 1:
        raise InputError(f"precision@k needs k >= 1, got {k}")
    k = min(int(k), t.size)
    top_true = np.argsort(-t, kind="stable")[:k]
    top_pred = np.argsort(-p, kind="stable")[:k]
    return float(np.intersect1d(top_true, top_pred).size / k)


def deviation_mean(y_true, y_pred) -> float:
    """Mean of the deviations ``y_pred - y_true`` (the bias)."""
    t, p = _check(y_true, y_pred)
    return float(np.mean(p - t))


def deviation_std(y_true, y_pred) -> float:
    """Population standard deviation of the deviations ``y_pred - y_true``."""
    t, p = _check(y_true, y_pred)
    return float(np.std(p - t))


def evaluate_predictions(y_true, y_pred) -> dict[str, float]:
    """All metrics of one run as a flat record, keyed by :data:`METRIC_NAMES`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted values (z-scored units in the study).

    Returns
    -------
    dict of str -> float
    """
    t, p = _check(y_true, y_pred)
    return {
        "kendalltau": kendalltau(t, p),
        "spearman": spearman(t, p),
        "pearson": pearson(t, p),
        "mae": mae(t, p),
        "rmse": rmse(t, p),
        "kendalltau_round1": kendalltau_rounded(t, p, 1),
        "kendalltau_round2": kendalltau_rounded(t, p, 2),
        "precision_at_10": precision_at_k(t, p, 10),
        "precision_at_20": precision_at_k(t, p, 20),
        "dev_mean": deviation_mean(t, p),
        "dev_std": deviation_std(t, p),
    }
