"""hwlib.pareto: the fast front and hypervolume against brute force, pymoo, and their properties."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from hwlib import pareto
from hwlib.errors import InputError
from hwlib.pareto import hypervolume, hypervolume_sorted, nondominated_mask, nondominated_sorted


# ----------------------------------------------------------------------------- slow references


def front_brute(F: np.ndarray) -> np.ndarray:
    """O(n^2): i is dominated when some j is <= in both objectives and < in one."""
    le = (F[None, :, :] <= F[:, None, :]).all(-1)      # le[i, j]: F[j] <= F[i]
    lt = (F[None, :, :] < F[:, None, :]).any(-1)
    return ~(le & lt).any(axis=1)


def hv_brute(F: np.ndarray, ref) -> float:
    """Area of the union of the boxes [p, ref], by the cells of the coordinate grid."""
    F = F[(F < ref).all(axis=1)]
    if len(F) == 0:
        return 0.0
    xs, ys = np.unique(np.r_[F[:, 0], ref[0]]), np.unique(np.r_[F[:, 1], ref[1]])
    area = 0.0
    for x0, x1 in zip(xs[:-1], xs[1:]):
        for y0, y1 in zip(ys[:-1], ys[1:]):
            if ((F[:, 0] <= x0) & (F[:, 1] <= y0)).any():
                area += (x1 - x0) * (y1 - y0)
    return area


def point_sets(rng: np.random.Generator, count: int = 200):
    """Small sets with and without ties (integer grids make duplicates and equal coordinates)."""
    for i in range(count):
        n = int(rng.integers(1, 30))
        if i % 3 == 0:
            yield rng.integers(0, 4, (n, 2)).astype(float)
        elif i % 3 == 1:
            yield np.column_stack([rng.integers(0, 3, n), rng.random(n)])
        else:
            yield rng.random((n, 2))


# ----------------------------------------------------------------------------- fast vs slow


def test_front_matches_brute_force():
    rng = np.random.default_rng(0)
    for F in point_sets(rng):
        np.testing.assert_array_equal(nondominated_mask(F), front_brute(F))


def test_hypervolume_matches_brute_force():
    rng = np.random.default_rng(1)
    for F in point_sets(rng, 120):
        ref = np.array([3.5, 2.5]) if F.max() > 1 else np.array([0.8, 0.9])   # some points beyond ref
        assert hypervolume(F, ref) == pytest.approx(hv_brute(F, ref), abs=1e-12)


def test_batched_equals_one_by_one():
    rng = np.random.default_rng(2)
    F = rng.integers(0, 6, (4, 3, 25, 2)).astype(float)
    mask = nondominated_mask(F)
    hv = hypervolume(F, (7.0, 7.0))
    assert mask.shape == (4, 3, 25) and hv.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            np.testing.assert_array_equal(mask[i, j], front_brute(F[i, j]))
            assert hv[i, j] == pytest.approx(hv_brute(F[i, j], np.array([7.0, 7.0])))


def test_sorted_core_with_shared_first_objective_and_excluded_points():
    rng = np.random.default_rng(3)
    f0 = np.sort(rng.integers(0, 5, 40)).astype(float)
    f1 = rng.integers(0, 5, (6, 40)).astype(float)
    f1[rng.random((6, 40)) < 0.3] = np.inf          # left out of the set
    got = nondominated_sorted(f0, f1)
    hv = hypervolume_sorted(f0, f1, 6.0, 6.0)
    for r in range(6):
        keep = np.isfinite(f1[r])
        F = np.column_stack([f0, f1[r]])[keep]
        np.testing.assert_array_equal(got[r][keep], front_brute(F))
        assert not got[r][~keep].any() or not keep.any()
        assert hv[r] == pytest.approx(hv_brute(F, np.array([6.0, 6.0])))


def test_agrees_with_pymoo():
    pytest.importorskip("pymoo")
    from pymoo.indicators.hv import HV
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    rng = np.random.default_rng(4)
    nds = NonDominatedSorting()
    for F in point_sets(rng, 60):
        ref = np.array([4.5, 4.5])
        np.testing.assert_array_equal(np.flatnonzero(nondominated_mask(F)),
                                      np.sort(nds.do(F, only_non_dominated_front=True)))
        assert hypervolume(F, ref) == pytest.approx(HV(ref_point=ref).do(F), rel=1e-12)


# ----------------------------------------------------------------------------- properties


def test_dominated_point_never_enters_front():
    rng = np.random.default_rng(5)
    for F in point_sets(rng, 80):
        p = F[rng.integers(len(F))]
        worse = p + rng.choice([[0.0, 0.5], [0.5, 0.0], [0.5, 0.5]])
        assert not nondominated_mask(np.vstack([F, worse]))[-1]


def test_duplicates_of_front_points_stay_on_front():
    F = np.array([[0.0, 2.0], [1.0, 1.0], [1.0, 1.0], [2.0, 0.0], [2.0, 2.0]])
    np.testing.assert_array_equal(nondominated_mask(F), [True, True, True, True, False])


def test_front_and_hv_invariant_to_order():
    rng = np.random.default_rng(6)
    for F in point_sets(rng, 60):
        perm = rng.permutation(len(F))
        np.testing.assert_array_equal(nondominated_mask(F)[perm], nondominated_mask(F[perm]))
        assert hypervolume(F[perm], (5.0, 5.0)) == pytest.approx(hypervolume(F, (5.0, 5.0)))


def test_hypervolume_never_shrinks_when_a_point_is_added():
    rng = np.random.default_rng(7)
    for F in point_sets(rng, 80):
        extra = rng.random(2) * 4
        assert hypervolume(np.vstack([F, extra]), (4.0, 4.0)) >= hypervolume(F, (4.0, 4.0)) - 1e-12


def test_hypervolume_of_front_equals_hypervolume_of_set():
    rng = np.random.default_rng(8)
    for F in point_sets(rng, 60):
        assert hypervolume(F[nondominated_mask(F)], (5.0, 5.0)) == pytest.approx(hypervolume(F, (5.0, 5.0)))


def test_points_beyond_reference_add_nothing():
    assert hypervolume(np.array([[1.0, 1.0], [3.0, 0.0], [0.0, 3.0]]), (2.0, 2.0)) == pytest.approx(1.0)
    assert hypervolume(np.array([[2.0, 2.0]]), (2.0, 2.0)) == 0.0


# ----------------------------------------------------------------------------- compiled twins


def test_compiled_rows_equal_the_sorted_paths_bit_for_bit():
    """nondominated_row and hypervolume_row (numba, or plain Python without it) against the numpy
    paths on sorted sets, with a mask and a prefix of k points."""
    rng = np.random.default_rng(12)
    for F in point_sets(rng, 120):
        F = -F                                                  # a negative first objective, as -acc / 100
        F = F[np.argsort(F[:, 0], kind="stable")]
        k = len(F)
        out = np.empty(k + 2, dtype=bool)
        pareto.nondominated_row(np.r_[F[:, 0], 9.0, 9.0], np.r_[F[:, 1], 0.0, 0.0], k, out)
        np.testing.assert_array_equal(out[:k], nondominated_sorted(F[:, 0], F[:, 1]))
        mask = rng.random(k) < 0.7
        x = np.minimum(F[:, 0], 0.0)
        got = pareto.hypervolume_row(x, F[:, 1], mask, k, 0.5)
        want = hypervolume_sorted(F[:, 0], np.where(mask, F[:, 1], np.inf), 0.0, 0.5)
        assert got == float(want)


# ----------------------------------------------------------------------------- edges and errors


def test_empty_and_single_point():
    assert nondominated_mask(np.zeros((0, 2))).shape == (0,)
    assert hypervolume(np.zeros((0, 2)), (1.0, 1.0)) == 0.0
    np.testing.assert_array_equal(nondominated_mask([[1.0, 1.0]]), [True])
    assert hypervolume([[0.5, 0.5]], (1.0, 1.0)) == pytest.approx(0.25)


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((3, 3)), [[0.0, np.nan]]])
def test_bad_input_raises(bad):
    with pytest.raises(InputError):
        nondominated_mask(bad)


def test_bad_reference_raises():
    with pytest.raises(InputError, match="ref"):
        hypervolume(np.zeros((2, 2)), (1.0, 1.0, 1.0))


def test_doctests():
    assert doctest.testmod(pareto).failed == 0
