"""Two-objective Pareto fronts and hypervolume, vectorised over many point sets at once.

One convention throughout (pymoo's): an array ``F`` of shape (..., points, 2) holds two objectives,
both minimised. Point ``a`` *dominates* ``b`` when ``a <= b`` in both objectives and ``a < b`` in
at least one. Equal points do not dominate each other, so duplicates of a front point are all on
the front (pymoo's ``NonDominatedSorting`` does the same).

The fast paths work on point sets already sorted by the first objective; each is a handful of
passes over the data (a running minimum, a segmented minimum, a sum of rectangles), so a batch of
``rows`` sets of ``n`` points costs O(rows * n) after the O(n log n) sort. In the selection
simulation the first objective (accuracy) never changes, so the sort is done once per subset.
Beside each sorted path is its compiled twin for one point set (:func:`nondominated_row`,
:func:`hypervolume_row`, numba), which the simulation's compiled loops call; both give the same
bits.

>>> import numpy as np
>>> F = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
>>> nondominated_mask(F)
array([ True,  True, False,  True])
>>> float(hypervolume(F, ref=(2.0, 2.0)))
3.0
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .errors import InputError

__all__ = ["nondominated_mask", "hypervolume", "nondominated_sorted", "hypervolume_sorted",
           "nondominated_row", "hypervolume_row"]


def _check_F(F) -> np.ndarray:
    F = np.asarray(F, dtype=np.float64)
    if F.ndim < 2 or F.shape[-1] != 2:
        raise InputError(f"F must have shape (..., points, 2), got {F.shape}")
    if np.isnan(F).any():
        raise InputError("F holds NaN values")
    return F


def _sort_by_first(F: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order along the points axis by the first objective, and both objectives in that order."""
    order = np.argsort(F[..., 0], axis=-1, kind="stable")
    f0 = np.take_along_axis(F[..., 0], order, axis=-1)
    f1 = np.take_along_axis(F[..., 1], order, axis=-1)
    return order, f0, f1


def nondominated_sorted(f0: np.ndarray, f1: np.ndarray) -> np.ndarray:
    """Non-dominated mask of point sets already sorted by their first objective.

    Point ``i`` is non-dominated iff its second objective is below every second objective of
    the points with a strictly smaller first objective, and not above any point with an equal
    first objective. Both tests are a running minimum and a segmented minimum, O(n) per row.

    Parameters
    ----------
    f0 : ndarray, shape (..., n)
        First objective, non-decreasing along the last axis; broadcastable to ``f1``
        (one sorted subset can serve several rows of ``f1``).
    f1 : ndarray, shape (..., n)
        Second objective in the same order. ``+inf`` marks points left out of a set: they are
        never non-dominated when a finite point precedes them and never dominate anything.

    Returns
    -------
    ndarray of bool, shape of ``f1``
    """
    f1 = np.asarray(f1, dtype=np.float64)
    shape, n = f1.shape, f1.shape[-1]
    if n == 0:
        return np.zeros(shape, dtype=bool)
    f0 = np.asarray(f0, dtype=np.float64)
    new = np.empty(f0.shape, dtype=bool)          # True where a new first-objective value starts
    new[..., 0] = True
    np.not_equal(f0[..., 1:], f0[..., :-1], out=new[..., 1:])
    rows = f1.reshape(-1, n)
    before = np.empty_like(rows)                   # min of f1 over all earlier points
    before[:, 0] = np.inf
    np.minimum.accumulate(rows[:, :-1], axis=1, out=before[:, 1:])
    if new.all():                                  # no ties in f0: a plain running minimum
        return (rows < before).reshape(shape)
    new = np.broadcast_to(new, shape).reshape(-1)
    flat = rows.reshape(-1)
    starts = np.flatnonzero(new)                   # every row starts a group, so groups stay in rows
    group = np.cumsum(new) - 1
    earlier = before.reshape(-1)[starts][group]    # min over strictly smaller f0
    tied = np.minimum.reduceat(flat, starts)[group]  # min over equal f0 (the point included)
    return ((flat < earlier) & (flat <= tied)).reshape(shape)


@jit
def nondominated_row(f0, f1, k, out):
    """:func:`nondominated_sorted` of the first ``k`` points of one set, compiled, into ``out``.

    Parameters
    ----------
    f0, f1 : float64 (>= k,)
        Both objectives, sorted by ``f0`` (non-decreasing).
    k : int
    out : bool (>= k,)
        Filled in its first ``k`` entries.
    """
    before = np.inf                      # min of f1 over every earlier point
    start = 0
    while start < k:                     # one group of equal f0 at a time
        end = start + 1
        tied = f1[start]
        while end < k and f0[end] == f0[start]:
            tied = min(tied, f1[end])
            end += 1
        for j in range(start, end):
            out[j] = f1[j] < before and f1[j] <= tied
        for j in range(start, end):
            before = min(before, f1[j])
        start = end


def nondominated_mask(F) -> np.ndarray:
    """Mask of the non-dominated points of each point set, both objectives minimised.

    Parameters
    ----------
    F : array_like, shape (..., points, 2)

    Returns
    -------
    ndarray of bool, shape (..., points)
        True for the points no other point of the same set dominates (O(n log n) per set).
    """
    F = _check_F(F)
    order, f0, f1 = _sort_by_first(F)
    mask = np.empty(F.shape[:-1], dtype=bool)
    np.put_along_axis(mask, order, nondominated_sorted(f0, f1), axis=-1)
    return mask


def hypervolume_sorted(f0: np.ndarray, f1: np.ndarray, ref0, ref1) -> np.ndarray:
    """Dominated area of point sets sorted by their first objective, bounded by a reference point.

    The area is the union of the rectangles ``[f0_i, ref0] x [f1_i, ref1]``; in first-objective
    order it is a sum of slabs ``(f0_{i+1} - f0_i) * (ref1 - min_{j<=i} f1_j)``. Points that do not
    dominate the reference point add nothing (pymoo's convention).

    Parameters
    ----------
    f0 : ndarray, shape (..., n)
        First objective, non-decreasing along the last axis; broadcastable to ``f1``.
    f1 : ndarray, shape (..., n)
        Second objective; ``+inf`` leaves a point out of the set.
    ref0, ref1 : float or ndarray broadcastable to ``f1.shape[:-1]``
        Reference point.

    Returns
    -------
    ndarray, shape ``f1.shape[:-1]``
    """
    f1 = np.asarray(f1, dtype=np.float64)
    ref0 = np.asarray(ref0, dtype=np.float64)[..., None]
    ref1 = np.asarray(ref1, dtype=np.float64)[..., None]
    x = np.minimum(np.asarray(f0, dtype=np.float64), ref0)
    shape = np.broadcast_shapes(x.shape, f1.shape, ref1.shape)
    x = np.broadcast_to(x, shape)
    width = np.diff(x, axis=-1, append=np.broadcast_to(ref0, shape[:-1] + (1,)))
    height = np.maximum(ref1 - np.minimum.accumulate(f1, axis=-1), 0.0)
    # Summed left to right (not pairwise) so that points appended with f1 = inf change nothing,
    # not even the rounding: results do not depend on how sets are padded into a batch.
    return np.cumsum(width * height, axis=-1)[..., -1] if shape[-1] else np.zeros(shape[:-1])


@jit
def hypervolume_row(x, f1, mask, k, ref1):
    """:func:`hypervolume_sorted` of the masked points among the first ``k`` of one set, compiled,
    summed left to right as there (reference ``(0, ref1)``).

    Parameters
    ----------
    x : float64 (>= k,)
        First objective, non-decreasing, already clipped at the reference 0.
    f1 : float64 (>= k,)
        Second objective.
    mask : bool (>= k,)
        The points of the set; the others count as ``f1 = inf``.
    k : int
    ref1 : float
        Reference of the second objective.

    Returns
    -------
    float
    """
    total = 0.0
    low = np.inf
    for j in range(k):
        if mask[j]:
            low = min(low, f1[j])
        width = (x[j + 1] if j + 1 < k else 0.0) - x[j]
        total += width * max(ref1 - low, 0.0)
    return total


def hypervolume(F, ref) -> np.ndarray | float:
    """Hypervolume (dominated area) of each 2-D point set against a reference point.

    Parameters
    ----------
    F : array_like, shape (..., points, 2)
        Both objectives minimised.
    ref : array_like, shape (2,) or (..., 2)
        Reference point; points that do not dominate it contribute nothing.

    Returns
    -------
    float or ndarray, shape (...)
    """
    F = _check_F(F)
    ref = np.asarray(ref, dtype=np.float64)
    if ref.shape[-1:] != (2,):
        raise InputError(f"ref must have shape (2,) or (..., 2), got {ref.shape}")
    _, f0, f1 = _sort_by_first(F)
    out = hypervolume_sorted(f0, f1, ref[..., 0], ref[..., 1])
    return float(out) if out.ndim == 0 else out
