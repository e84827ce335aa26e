"""One predictor-guided selection and its scores (paper Section 5), for one point set or a batch.

With both objectives minimised, ``F = (-acc / 100, hw)``:

* the true front ``P*`` is the non-dominated set of the points under the true values;
* the selected set ``T`` is the non-dominated set under ``(acc, predicted hw)``, judged with true values;
* the verified set ``T_par`` is the non-dominated subset of ``T`` under the true values.

MRA of a selected point is the accuracy gap (percentage points) to the most accurate point of
``P*`` that weakly dominates it; ``MRA_all`` / ``MRA_pareto`` average it over ``T`` / ``T_par``.
HV is measured in the ``F`` plane against ``(0, ref1)``, by default ``ref1 = 1.1 * max hw`` of the
point set (the released code's reference, which grows with the set; it lies beyond the points only
while that largest value is positive, as it is for z-scored hardware values of any but tiny sets,
so pass ``ref1`` for other values). Kendall tau compares true and
predicted hardware values. ``hv_selected`` and ``hv_verified`` are equal by construction
(dominated points add no area); both are reported because the protocol names both.

A batch is scored by numpy (:func:`_evaluate_batch`) or by its compiled twin (:func:`select_batch`,
numba, through :func:`evaluate_blocks`): on the candidates a running minimum leaves, with the same
floating-point operations, so both give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import jit
from ..errors import InputError
from ..metrics import kendalltau_rows
from ..pareto import (hypervolume_row, hypervolume_sorted, nondominated_mask, nondominated_row,
                      nondominated_sorted)
from .kendall import kendall_batch, kendall_blocks, value_order
from .problem import SelectionProblem

__all__ = ["METRICS", "Selection", "select", "evaluate_blocks"]

#: Per-trial results; the first six are the CLI's JSON keys.
METRICS = ("kendalltau", "mra_all", "mra_pareto", "hv_true", "hv_selected", "hv_verified",
           "hv_predicted", "n_true", "n_selected", "n_verified")


# ----------------------------------------------------------------------------- one selection


@dataclass(frozen=True, eq=False)
class Selection:
    """One predictor-guided selection, for plotting and inspection (shapes: n points).

    Attributes
    ----------
    F : ndarray, shape (n, 2)
        True objectives ``(-acc / 100, hw)``.
    hw_pred : ndarray, shape (n,)
        Predicted hardware values.
    true_front, selected, verified : ndarray of bool, shape (n,)
        ``P*``, ``T`` and ``T_par``.
    ref : ndarray, shape (2,)
        Hypervolume reference point.
    metrics : dict
        The :data:`METRICS` of this selection.
    """

    F: np.ndarray
    hw_pred: np.ndarray
    true_front: np.ndarray
    selected: np.ndarray
    verified: np.ndarray
    ref: np.ndarray
    metrics: dict


def select(acc, hw, hw_pred) -> Selection:
    """Select the non-dominated points under predicted hardware values and score the choice.

    Parameters
    ----------
    acc : array_like, shape (n,)
        True accuracy in %.
    hw : array_like, shape (n,)
        True (z-scored) hardware value.
    hw_pred : array_like, shape (n,)
        Predicted hardware value: simulated, or from a trained predictor.

    Returns
    -------
    Selection
    """
    acc, hw, hw_pred = (np.asarray(a, dtype=np.float64) for a in (acc, hw, hw_pred))
    if not acc.shape == hw.shape == hw_pred.shape or acc.ndim != 1 or acc.size < 2:
        raise InputError(f"acc, hw and hw_pred must be 1-D of one length >= 2, got "
                         f"{acc.shape}, {hw.shape}, {hw_pred.shape}")
    order = np.argsort(-acc / 100.0, kind="stable")
    res = _evaluate_batch(acc[order][None], hw[order][None], hw_pred[order][None, None], kendall=False)
    res["kendalltau"] = kendalltau_rows(hw, hw_pred[None]) if (hw_pred != hw).any() else \
        np.array([1.0 if np.ptp(hw) > 0 else np.nan])
    F = np.column_stack([-acc / 100.0, hw])
    selected = nondominated_mask(np.column_stack([F[:, 0], hw_pred]))
    verified = selected & nondominated_mask(np.where(selected[:, None], F, np.inf))
    return Selection(F, hw_pred, nondominated_mask(F), selected, verified,
                     np.array([0.0, 1.1 * hw.max()]), {k: float(v.ravel()[0]) for k, v in res.items()})


# ----------------------------------------------------------------------------- a batch, numpy


def _mra_gaps(acc: np.ndarray, hw: np.ndarray) -> np.ndarray:
    """Per point, the accuracy gap (pp) to the most accurate true-front point weakly dominating it.

    ``acc``, ``hw`` of shape (trials, n) in accuracy order. That point is the first one whose
    running minimum of ``hw`` is <= the point's own ``hw``: a binary search per trial.
    """
    low = np.minimum.accumulate(hw, axis=-1)
    gaps = np.empty_like(acc)
    for b in range(acc.shape[0]):
        first = np.searchsorted(-low[b], -hw[b], side="left")
        gaps[b] = acc[b, first] - acc[b]
    return gaps


def _candidates(f0: np.ndarray, f1: np.ndarray) -> np.ndarray:
    """A small superset of the non-dominated points of rows sorted by ``f0``.

    A point can only be non-dominated if its ``f1`` is below every earlier ``f1`` or equals the
    running minimum within its own ``f0`` tie group. The exact front is then computed among the
    candidates alone: the candidates hold every group minimum and every running-minimum record
    that the exact test compares against.
    """
    before = np.empty_like(f1)
    before[..., 0] = np.inf
    np.minimum.accumulate(f1[..., :-1], axis=-1, out=before[..., 1:])
    tie = np.zeros(f0.shape, dtype=bool)
    np.equal(f0[..., 1:], f0[..., :-1], out=tie[..., 1:])
    return (f1 < before) | ((f1 == before) & tie)


def _compact(mask: np.ndarray, *arrays: np.ndarray, fill: float = np.inf) -> list[np.ndarray]:
    """Gather the points where ``mask`` (rows, n) is True into (rows, K) arrays, in order, padded.

    ``arrays`` have shape (rows, n) or (trials, n) with rows = trials x levels.
    """
    rows, n = mask.shape
    r, c = np.nonzero(mask)
    counts = np.bincount(r, minlength=rows)
    slot = np.arange(r.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out = []
    for a in arrays:
        src = a.reshape(-1, n)
        step = rows // src.shape[0]
        block = np.full((rows, max(int(counts.max()), 1)), fill)
        block[r, slot] = src[r // step, c]
        out.append(block)
    return out


def _evaluate_batch(acc: np.ndarray, hw: np.ndarray, pred: np.ndarray, kendall: bool = True,
                    ref1: np.ndarray | None = None) -> dict:
    """All metrics of a batch: ``acc``, ``hw`` (trials, n) in accuracy order, predicted hardware
    values ``pred`` (trials, levels, n) in the same order; hypervolume reference ``(0, ref1)``
    with ``ref1`` (trials,), by default 1.1 x each trial's largest ``hw``."""
    trials, levels, n = pred.shape
    ref1 = 1.1 * hw.max(axis=-1) if ref1 is None else ref1
    f0 = -acc / 100.0
    gaps = _mra_gaps(acc, hw)
    cand = _candidates(f0[:, None, :], pred).reshape(-1, n)
    c_f0, c_pred, c_hw, c_gap = _compact(cand, f0, pred, hw, gaps)
    sel = nondominated_sorted(c_f0, c_pred) & np.isfinite(c_pred)
    c_sel = np.where(sel, c_hw, np.inf)
    ver = nondominated_sorted(c_f0, c_sel) & sel
    ref = np.repeat(ref1, levels)
    n_sel, n_ver = sel.sum(-1), ver.sum(-1)
    out = {
        "mra_all": np.cumsum(np.where(sel, c_gap, 0.0), axis=-1)[:, -1] / n_sel,   # padding-proof sums
        "mra_pareto": np.cumsum(np.where(ver, c_gap, 0.0), axis=-1)[:, -1] / n_ver,
        "hv_true": np.repeat(hypervolume_sorted(f0, hw, 0.0, ref1), levels),
        "hv_selected": hypervolume_sorted(c_f0, c_sel, 0.0, ref),
        "hv_verified": hypervolume_sorted(c_f0, np.where(ver, c_hw, np.inf), 0.0, ref),
        "hv_predicted": hypervolume_sorted(c_f0, np.where(sel, c_pred, np.inf), 0.0, ref),
        "n_true": np.repeat(nondominated_sorted(f0, hw).sum(-1), levels),
        "n_selected": n_sel, "n_verified": n_ver,
    }
    out = {k: v.reshape(trials, levels) for k, v in out.items()}
    out["kendalltau"] = kendall_batch(hw, pred) if kendall else np.full((trials, levels), np.nan)
    return out


# ----------------------------------------------------------------------------- a batch, compiled


@jit
def _mra_gaps_compiled(acc, hw, by_value, gaps):
    """:func:`_mra_gaps` of one trial into ``gaps``: the gap to the first point whose running
    minimum of ``hw`` is <= its own ``hw``.

    Those points are the records of the running minimum (decreasing values); the answer moves to
    earlier records as ``hw`` grows, so one walk over the points in increasing ``hw``
    (``by_value``) and over the records finds them all.
    """
    n = acc.size
    rec = np.empty(n, dtype=np.intp)     # positions where the running minimum drops
    k = 0
    for i in range(n):
        if k == 0 or hw[i] < hw[rec[k - 1]]:
            rec[k] = i
            k += 1
    r = k - 1
    for j in range(n):
        i = by_value[j]
        while r > 0 and hw[rec[r - 1]] <= hw[i]:
            r -= 1
        gaps[i] = acc[rec[r]] - acc[i]


@jit
def select_batch(acc, f0, hw, block, values, ref1, by_value, out, noisy, same_subsets=False):
    """:func:`_evaluate_batch` (but Kendall tau) for block deviations: the metrics of every
    (trial, level) of a batch.

    Parameters
    ----------
    acc, f0, hw : float64 (trials, n)
        Accuracy (non-increasing), first objective ``-acc / 100`` and true hardware value.
    block : intp (trials, n)
        Which deviation value each point takes.
    values : float64 (trials, levels, m)
        Deviation values; a point's noisy value is ``hw + values[t, k, block]``.
    ref1 : float64 (trials,)
        Hypervolume reference of the hardware value.
    by_value : intp (trials or 1, n)
        Each trial's points in increasing true hardware value (one row: the same for all).
    out : float64 (10, trials, levels)
        Filled with mra_all, mra_pareto, hv_selected, hv_verified, hv_predicted, n_selected,
        n_verified, hv_true, n_true and the number of candidates.
    noisy : bool (trials, levels)
        Filled: whether any noisy value differs from the true one.
    same_subsets : bool
        Every trial has the same points (all of the problem's) and reference: the true front,
        the MRA gaps and the true hypervolume are computed once.
    """
    trials, n = hw.shape
    levels = values.shape[1]
    gaps, x = np.empty(n), np.empty(n)
    c_f0, c_x = np.empty(n), np.empty(n)
    c_pred, c_hw, c_gap = np.empty(n), np.empty(n), np.empty(n)
    c_masked = np.empty(n)
    sel = np.empty(n, dtype=np.bool_)
    ver = np.empty(n, dtype=np.bool_)
    all_true = np.ones(n, dtype=np.bool_)
    hv_true, n_true = 0.0, 0
    for t in range(trials):
        if t == 0 or not same_subsets:
            _mra_gaps_compiled(acc[t], hw[t], by_value[t if by_value.shape[0] > 1 else 0], gaps)
            for i in range(n):
                x[i] = min(f0[t, i], 0.0)
            hv_true = hypervolume_row(x, hw[t], all_true, n, ref1[t])
            k = 0                        # the true front: among the running minimum's candidates
            before = np.inf
            for i in range(n):
                p = hw[t, i]
                if p <= before:
                    if p < before or (i > 0 and f0[t, i] == f0[t, i - 1]):
                        c_f0[k], c_pred[k] = f0[t, i], p
                        k += 1
                    before = p
            nondominated_row(c_f0, c_pred, k, sel)
            n_true = sel[:k].sum()
        hw_t, f0_t, block_t = hw[t], f0[t], block[t]
        for lv in range(levels):
            vals = values[t, lv]
            k = 0
            before = np.inf
            differs = False
            for i in range(n):           # candidates: below every earlier value, or tied in f0
                p = hw_t[i] + vals[block_t[i]]
                differs |= p != hw_t[i]
                if p <= before:          # rare: a branch, not a chain of minima
                    if p < before or (i > 0 and f0_t[i] == f0_t[i - 1]):
                        c_f0[k], c_x[k], c_pred[k], c_hw[k], c_gap[k] = f0_t[i], x[i], p, hw_t[i], gaps[i]
                        k += 1
                    before = p
            noisy[t, lv] = differs
            nondominated_row(c_f0, c_pred, k, sel)
            for j in range(k):
                c_masked[j] = c_hw[j] if sel[j] else np.inf
            nondominated_row(c_f0, c_masked, k, ver)
            n_sel = n_ver = 0
            gap_sel = gap_ver = 0.0
            for j in range(k):
                ver[j] = ver[j] and sel[j]
                if sel[j]:
                    n_sel += 1
                    gap_sel += c_gap[j]
                if ver[j]:
                    n_ver += 1
                    gap_ver += c_gap[j]
            out[0, t, lv] = gap_sel / n_sel
            out[1, t, lv] = gap_ver / n_ver
            out[2, t, lv] = hypervolume_row(c_x, c_masked, sel, k, ref1[t])
            out[3, t, lv] = hypervolume_row(c_x, c_hw, ver, k, ref1[t])
            out[4, t, lv] = hypervolume_row(c_x, c_pred, sel, k, ref1[t])
            out[5, t, lv], out[6, t, lv], out[7, t, lv] = n_sel, n_ver, hv_true
            out[8, t, lv], out[9, t, lv] = n_true, k


def evaluate_blocks(problem: SelectionProblem, pos: np.ndarray, block: np.ndarray, values: np.ndarray,
                    kendall: bool = True, ref1: np.ndarray | None = None) -> dict:
    """:func:`_evaluate_batch` for block deviations, in compiled loops.

    Parameters
    ----------
    problem : SelectionProblem
    pos, block : ndarray of int, shape (trials, n)
        The subsets (increasing positions, so in accuracy order) and each point's deviation block.
    values : ndarray, shape (trials, levels, m)
        The noisy value of point ``i`` at level ``k`` is ``hw[t, i] + values[t, k, block[t, i]]``.
    kendall : bool
        Compute Kendall tau (else NaN).
    ref1 : ndarray, shape (trials,), optional
        Hypervolume reference of the hardware value; default 1.1 x each subset's largest value.

    Returns
    -------
    dict of str -> ndarray, shape (trials, levels)
        Every name of :data:`METRICS`, equal bit for bit to :func:`_evaluate_batch` on those noisy values.
    """
    acc, hw = problem.acc[pos], problem.hw[pos]
    trials, levels = hw.shape[0], values.shape[1]
    ref1 = 1.1 * hw.max(axis=-1) if ref1 is None else np.asarray(ref1, dtype=np.float64)
    by_value = value_order(problem, pos, block)
    out = np.empty((10, trials, levels))
    noisy = np.empty((trials, levels), dtype=bool)
    same = pos.shape[1] == problem.n_archs and bool((ref1 == ref1[0]).all())
    select_batch(acc, -acc / 100.0, hw, block, values, ref1, by_value[0], out, noisy, same)
    res = dict(zip(("mra_all", "mra_pareto", "hv_selected", "hv_verified", "hv_predicted",
                    "n_selected", "n_verified", "hv_true", "n_true"), out[:9]))
    kt = np.full((trials, levels), np.nan)
    if kendall:
        kt[:] = np.where(np.ptp(hw, axis=-1) > 0, 1.0, np.nan)[:, None]
        rows = np.argwhere(noisy)
        if len(rows):
            kt[rows[:, 0], rows[:, 1]] = kendall_blocks(*by_value[1:], values, rows)
    res["kendalltau"] = kt
    return res
