"""How well predictions match the truth: the study's flat record of metrics per run.

Every function takes ``(y_true, y_pred)``, two 1-D arrays of the same length (architectures,),
and returns a float. :func:`evaluate_predictions` returns all of them as one flat dict, the
record stored for each (dataset, predictor, train size, seed) run (PROTOCOL.md, "Splits, sizes,
seeds": Kendall tau, Spearman, Pearson, MAE, RMSE, Kendall tau of predictions rounded to 1 and
2 decimals, precision@10/@20, mean and std of the deviations).

Rank correlations follow scipy (Kendall's tau-b, Spearman's rho); they are NaN where undefined
(a constant ``y_pred``), as in scipy and in the released code, so that such runs stay visible.

Kendall tau is implemented once, here, for one pair of vectors (:func:`kendalltau`) and for many
rows at once (:func:`kendalltau_rows`): the pairs are counted (ties in x, in y, in both, and the
discordant pairs, by scipy's compiled counter) and combined by :func:`tau_b` exactly as
``scipy.stats.kendalltau`` combines them, so the values equal scipy's bit for bit. The selection
simulation counts the same pairs in compiled loops (:mod:`hwlib.simulation.kendall`) and combines
them with the same :func:`tau_b`.

>>> import numpy as np
>>> evaluate_predictions(np.array([1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0]))["kendalltau"]
0.3333333333333333
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from .errors import InputError

try:  # the compiled counter behind scipy.stats.kendalltau; 3-5x faster than calling kendalltau per row
    from scipy.stats._stats import _kendall_dis
except ImportError:  # pragma: no cover - fall back to the public function
    _kendall_dis = None

__all__ = ["kendalltau", "kendalltau_rows", "tau_b", "tied_pairs", "spearman", "pearson", "mae", "rmse",
           "kendalltau_rounded", "precision_at_k", "deviation_mean", "deviation_std", "evaluate_predictions",
           "METRIC_NAMES"]

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
    """Kendall's tau-b rank correlation (the study's headline metric); NaN if undefined.

    Equals ``scipy.stats.kendalltau(y_true, y_pred).statistic`` bit for bit (NaN for a constant
    vector, fewer than two points, or a NaN value).
    """
    t, p = _check(y_true, y_pred)
    if t.size < 2 or np.isnan(t).any() or np.isnan(p).any():
        return float("nan")
    return float(kendalltau_rows(t, p[None])[0])


def kendalltau_rows(x, Y, group=None) -> np.ndarray:
    """Kendall tau-b between ``x`` and each row of ``Y``, as ``scipy.stats.kendalltau`` computes it.

    ``x`` is sorted once (per row of a 2-D ``x``); each row of ``Y`` costs one sort and scipy's
    compiled discordant-pair count.

    Parameters
    ----------
    x : array_like, shape (n,) or (groups, n)
    Y : array_like, shape (rows, n)
    group : array_like of int, shape (rows,), optional
        For a 2-D ``x``: the row of ``x`` each row of ``Y`` is compared with (default: row ``r``
        with row ``r``).

    Returns
    -------
    ndarray, shape (rows,)
        NaN where the row of ``x`` or of ``Y`` is constant or holds a NaN.
    """
    x, Y = np.asarray(x, dtype=np.float64), np.atleast_2d(np.asarray(Y, dtype=np.float64))
    X = np.atleast_2d(x)
    n = X.shape[-1]
    if Y.ndim != 2 or Y.shape[-1] != n or X.ndim != 2:
        raise InputError(f"x must have shape (n,) or (groups, n) and Y shape (rows, n), got {x.shape}, {Y.shape}")
    group = np.arange(len(Y)) if group is None and len(X) > 1 else group
    group = np.zeros(len(Y), dtype=np.intp) if group is None else np.asarray(group, dtype=np.intp)
    if group.shape != (len(Y),) or (len(Y) and not 0 <= group.min() <= group.max() < len(X)):
        raise InputError(f"group must name a row of x for each of the {len(Y)} rows of Y")
    bad = np.isnan(Y).any(axis=1) | np.isnan(X).any(axis=1)[group]
    if _kendall_dis is None or n < 2:
        return np.array([_quiet(stats.kendalltau, X[g], y) if n > 1 else np.nan for g, y in zip(group, Y)])
    if not bad.any():
        return _kendall(X, Y, group)
    out = np.full(len(Y), np.nan)
    if not bad.all():
        out[~bad] = _kendall(X, Y[~bad], group[~bad])
    return out


def tau_b(n: int, x_tied, y_tied, both_tied, discordant) -> np.ndarray:
    """Kendall tau-b from the pair counts of ``n`` points, with scipy's operations in scipy's order.

    Parameters
    ----------
    n : int
    x_tied, y_tied, both_tied, discordant : int or array of int, broadcastable
        Pairs tied in x, tied in y, tied in both, and discordant (strictly, in both).

    Returns
    -------
    ndarray
        Clipped to [-1, 1]; NaN where every pair is tied in x or in y.
    """
    tot = n * (n - 1) // 2
    dis = np.asarray(discordant, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = (tot - x_tied - y_tied + both_tied - 2 * dis) / np.sqrt(tot - x_tied) / np.sqrt(tot - y_tied)
    return np.clip(np.where((x_tied == tot) | (y_tied == tot), np.nan, tau), -1.0, 1.0)


def tied_pairs(new: np.ndarray) -> np.ndarray | int:
    """Pairs within runs of equal values, from run-start flags along the last axis (True where a
    new value starts, in sorted order): the sum of k(k-1)/2 over the runs."""
    at = np.arange(new.shape[-1])
    pairs = (at - np.maximum.accumulate(np.where(new, at, 0), axis=-1)).sum(axis=-1)
    return int(pairs) if np.ndim(pairs) == 0 else pairs


def _float_keys(Y: np.ndarray) -> np.ndarray:
    """uint64 keys that sort like the float64 values (``-0.0`` folded into ``+0.0``)."""
    keys = (Y + 0.0).view(np.uint64)
    flip = keys >> np.uint64(63)              # negative values: flip every bit, else the sign bit
    np.negative(flip, out=flip)
    flip |= np.uint64(1 << 63)
    keys ^= flip
    return keys


def _y_order(Y: np.ndarray, order: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x slots of each row of ``Y`` listed in increasing y, and which rows need a tie check.

    One sort of uint64 keys whose high bits sort like the values and whose low bits carry the
    slot (cheaper than an argsort). Where two sorted keys come closer than the slot bits (ties, or
    values too close for the truncated key) the order is only a candidate, checked exactly by
    :func:`_rank_ties`; elsewhere the values are distinct and in exactly this order.

    Parameters
    ----------
    Y : ndarray, shape (rows, n)
    order : ndarray of int, shape (groups, n)
        Slot ``i`` of a row of group ``g`` holds column ``order[g, i]`` (the x-sorted order).
    group : ndarray of int, shape (rows,)

    Returns
    -------
    slots : ndarray of int64, shape (rows, n)
        Slots in increasing y (a candidate order where ``close``).
    close : ndarray of bool, shape (rows,)
    """
    n = Y.shape[-1]
    bits = max(int(n - 1).bit_length(), 1)
    low = np.uint64((1 << bits) - 1)
    slot = np.empty(order.shape, dtype=np.uint64)
    np.put_along_axis(slot, order, np.arange(n, dtype=np.uint64)[None, :], axis=1)
    keys = _float_keys(Y)
    keys &= ~low
    keys |= slot[group]
    keys.sort(axis=-1)
    close = (np.diff(keys, axis=-1) <= low).any(axis=-1)
    keys &= low
    return keys.view(np.int64), close


def _rank_ties(y: np.ndarray, sorted_slots: np.ndarray, xr: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Dense ranks of ``y`` (slot order), y-tied pairs and xy-tied pairs, given a candidate order.

    Within a run of equal y the slots (x order) ascend, so equal (x, y) pairs are contiguous.
    """
    ys = y[sorted_slots]
    if (ys[1:] < ys[:-1]).any():                   # truncated keys misordered close values
        sorted_slots = np.argsort(y, kind="stable")
        ys = y[sorted_slots]
    new = np.r_[True, ys[1:] != ys[:-1]]
    ranks = np.empty(y.size, dtype=np.intp)
    ranks[sorted_slots] = np.cumsum(new, dtype=np.intp)
    xs = xr[sorted_slots]
    new_xy = new | np.r_[True, xs[1:] != xs[:-1]]
    return ranks, tied_pairs(new), tied_pairs(new_xy)


def _x_ranks(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``X`` (rows, n): the stable sort order, dense ranks in that order, and tied pairs.

    The order comes from one sort of uint64 keys (value bits above, column below): equal values
    keep their column order, so a row whose values come out non-decreasing is stably sorted;
    the rare row where truncated keys misorder close values is argsorted (stable) instead.
    """
    n = X.shape[-1]
    bits = max(int(n - 1).bit_length(), 1)
    low = np.uint64((1 << bits) - 1)
    keys = _float_keys(X)
    keys &= ~low
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort(axis=-1)
    keys &= low
    order = keys.view(np.int64)
    xs = np.take_along_axis(X, order, axis=-1)
    bad = (xs[:, 1:] < xs[:, :-1]).any(axis=-1)
    if bad.any():
        order[bad] = np.argsort(X[bad], axis=-1, kind="stable")
        xs[bad] = np.take_along_axis(X[bad], order[bad], axis=-1)
    new = np.ones(X.shape, dtype=bool)
    np.not_equal(xs[:, 1:], xs[:, :-1], out=new[:, 1:])
    return order, np.cumsum(new, axis=-1, dtype=np.intp), tied_pairs(new)


def _kendall(X: np.ndarray, Y: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Kendall tau-b of ``Y[r]`` against ``X[group[r]]`` for every row ``r``.

    ``X`` (groups, n) is sorted once per group; each row of ``Y`` (rows, n) costs one value sort
    (:func:`_y_order`) and scipy's compiled discordant-pair count. A row without ties in y is
    counted with the roles swapped: the x ranks listed in y order, against y ranks ``1..n``
    (the same pairs: smaller x and larger y), so no y ranks need to be built.
    """
    rows, n = Y.shape
    order, xr, xtie = _x_ranks(X)
    slots, close = _y_order(Y, order, group)
    x_by_y = np.take(xr.ravel(), slots + (group * n)[:, None])
    ytie, joint = np.zeros(rows, dtype=np.int64), np.zeros(rows, dtype=np.int64)
    y_ranks = np.arange(1, n + 1, dtype=np.intp)
    dis = np.empty(rows, dtype=np.float64)
    for r, (g, tied) in enumerate(zip(group, close)):
        if tied:
            yr, ytie[r], joint[r] = _rank_ties(Y[r, order[g]], slots[r], xr[g])
            dis[r] = _kendall_dis(xr[g], yr)
        else:
            dis[r] = _kendall_dis(y_ranks, x_by_y[r])
    return tau_b(n, xtie[group], ytie, joint, dis)


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

    As in the released code (NASLib's ``compute_scores``), "top" means largest. Ties differ: the
    released code counts the values strictly above the (k+1)-th largest, so a tie there leaves
    fewer than ``k`` in a set (``[3, 2, 2, 1]`` against itself at k=2: 0.5); here ties are broken
    by position (stable sort), so that both sets hold ``k`` (1.0). ``k`` is clipped to the number
    of architectures.
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
