"""Metrics against scipy/numpy, hand-worked examples and rank-invariance properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hwlib import metrics
from hwlib.errors import InputError


@pytest.fixture
def pair() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    t = rng.normal(size=300)
    return t, t + rng.normal(scale=0.7, size=300)


def test_correlations_match_scipy(pair):
    t, p = pair
    assert metrics.kendalltau(t, p) == pytest.approx(stats.kendalltau(t, p)[0], abs=1e-12)
    assert metrics.spearman(t, p) == pytest.approx(stats.spearmanr(t, p)[0], abs=1e-12)
    assert metrics.pearson(t, p) == pytest.approx(stats.pearsonr(t, p)[0], abs=1e-12)


def test_kendalltau_with_ties_is_tau_b():
    t, p = np.array([1, 2, 2, 3, 4.0]), np.array([1, 1, 2, 3, 3.0])
    assert metrics.kendalltau(t, p) == pytest.approx(stats.kendalltau(t, p, variant="b")[0])


def test_kendalltau_equals_scipy_bit_for_bit():
    """Ties in either vector, near-equal values, constants and NaN: the same bits as scipy."""
    rng = np.random.default_rng(11)
    for i in range(200):
        n = int(rng.integers(1, 400))
        t = rng.integers(0, 6, n).astype(float) if i % 2 else rng.standard_normal(n)
        p = np.round(t + rng.standard_normal(n), [1, 8, 15][i % 3])
        if i % 17 == 0:
            p[:] = 1.0
        if i % 23 == 0 and n > 2:
            p[1] = np.nan
        want = stats.kendalltau(t, p).statistic if n > 1 else np.nan
        np.testing.assert_array_equal(metrics.kendalltau(t, p), want)


def test_kendalltau_rows_equals_scipy_with_ties():
    rng = np.random.default_rng(2)
    for i in range(60):
        n = int(rng.integers(2, 300))
        x = rng.integers(0, 6, n).astype(float) if i % 2 else rng.standard_normal(n)
        Y = np.round(x + rng.standard_normal((3, n)), 1 if i % 3 else 8)
        want = [stats.kendalltau(x, y).statistic for y in Y]
        np.testing.assert_array_equal(metrics.kendalltau_rows(x, Y), want)


def test_kendalltau_rows_groups_and_nan_rows():
    rng = np.random.default_rng(5)
    X = np.round(rng.standard_normal((3, 50)), 1)
    Y = X[[2, 0, 0, 1]] + rng.standard_normal((4, 50))
    Y[1, 7] = np.nan
    got = metrics.kendalltau_rows(X, Y, [2, 0, 0, 1])
    want = [stats.kendalltau(X[g], y).statistic for g, y in zip([2, 0, 0, 1], Y)]
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[1])
    with pytest.raises(InputError, match="group"):
        metrics.kendalltau_rows(X, Y, [0, 1, 2, 3])


def test_kendalltau_rows_constant_and_fallback(monkeypatch):
    x = np.arange(10.0)
    out = metrics.kendalltau_rows(x, np.vstack([np.ones(10), x[::-1], x]))
    assert np.isnan(out[0]) and out[1] == pytest.approx(-1.0) and out[2] == pytest.approx(1.0)
    monkeypatch.setattr(metrics, "_kendall_dis", None)
    assert metrics.kendalltau_rows(x, x[None] ** 2)[0] == pytest.approx(1.0)


def test_tau_b_from_pair_counts():
    # x = [1, 2, 2], y = [1, 3, 2]: of 3 pairs two are concordant and one is tied in x
    assert metrics.tau_b(3, 1, 0, 0, 0) == stats.kendalltau([1, 2, 2], [1, 3, 2]).statistic
    assert np.isnan(metrics.tau_b(3, 3, 0, 0, 0))
    assert metrics.tied_pairs(np.array([True, False, False, True, False])) == 3 + 1


def test_errors_match_numpy(pair):
    t, p = pair
    assert metrics.mae(t, p) == pytest.approx(np.abs(p - t).mean())
    assert metrics.rmse(t, p) == pytest.approx(np.sqrt(((p - t) ** 2).mean()))
    assert metrics.deviation_mean(t, p) == pytest.approx((p - t).mean())
    assert metrics.deviation_std(t, p) == pytest.approx((p - t).std())


def test_hand_worked_example():
    t, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 3.0, 2.0, 5.0])
    # pairs: (1,2)c (1,3)c (1,4)c (2,3)d (2,4)c (3,4)c -> (5 - 1) / 6
    assert metrics.kendalltau(t, p) == pytest.approx(4 / 6)
    assert metrics.mae(t, p) == pytest.approx(0.75)
    assert metrics.rmse(t, p) == pytest.approx(np.sqrt(3 / 4))
    assert metrics.deviation_mean(t, p) == pytest.approx(0.25)


def test_rounded_tau_ties_close_predictions():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    p = np.array([0.01, 0.02, 0.5, 0.9])
    assert metrics.kendalltau(t, p) == pytest.approx(1.0)
    # rounded to 1 decimal the first two predictions tie: tau-b < 1
    expected = stats.kendalltau(t, np.round(p, 1))[0]
    assert metrics.kendalltau_rounded(t, p, 1) == pytest.approx(expected)
    assert expected < 1.0


def test_precision_at_k():
    t = np.arange(10.0)                                    # top 3 true: 9, 8, 7
    p = np.array([0, 1, 2, 3, 4, 5, 6, 9, 8, 0.5])         # top 3 predicted: 7, 8, 6
    assert metrics.precision_at_k(t, p, 3) == pytest.approx(2 / 3)
    assert metrics.precision_at_k(t, t, 5) == 1.0
    assert metrics.precision_at_k(t, t, 50) == 1.0          # k clipped to n
    with pytest.raises(InputError):
        metrics.precision_at_k(t, p, 0)


@pytest.mark.parametrize("transform", [np.exp, lambda x: 3 * x - 7, lambda x: x**3, np.arctan])
def test_rank_metrics_invariant_to_monotone_transforms(pair, transform):
    t, p = pair
    for fn in (metrics.kendalltau, metrics.spearman):
        assert fn(t, transform(p)) == pytest.approx(fn(t, p), abs=1e-12)
    assert metrics.precision_at_k(t, transform(p), 10) == metrics.precision_at_k(t, p, 10)


def test_record_has_every_metric(pair):
    record = metrics.evaluate_predictions(*pair)
    assert tuple(record) == metrics.METRIC_NAMES
    assert all(isinstance(v, float) and np.isfinite(v) for v in record.values())


def test_constant_predictions_give_nan_correlations():
    t = np.arange(5.0)
    record = metrics.evaluate_predictions(t, np.zeros(5))
    assert np.isnan(record["kendalltau"]) and np.isnan(record["spearman"]) and np.isnan(record["pearson"])
    assert record["mae"] == pytest.approx(2.0)


def test_bad_input():
    with pytest.raises(InputError, match="differ in length"):
        metrics.kendalltau([1, 2, 3], [1, 2])
    with pytest.raises(InputError, match="at least one"):
        metrics.mae([], [])
