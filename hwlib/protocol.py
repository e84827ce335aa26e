"""The study's protocol in one place: test-set sizes, training sizes, seeds and splits.

PROTOCOL.md, "Splits, sizes, seeds": the test set (625 architectures on HW-NAS-Bench, 256 on
TransNAS-Bench-101) is drawn uniformly without replacement first; the rest, in one random
permutation, is the training pool, and the training sets are its prefixes, so that a larger
training set contains every smaller one. The seed fixes the split and the model's randomness.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import InputError

__all__ = ["HWNAS_TRAIN_SIZES", "TRANSNAS_TRAIN_SIZES", "TEST_SIZES", "N_SEEDS", "benchmark_of",
           "test_set_size", "test_set_key", "nominal_train_sizes", "train_sizes", "split"]

#: The protocol's 11 log-spaced training sizes.
HWNAS_TRAIN_SIZES = (5, 11, 25, 55, 124, 276, 614, 1366, 3036, 6748, 15000)
TRANSNAS_TRAIN_SIZES = (5, 9, 18, 34, 65, 123, 234, 442, 837, 1585, 2999)
#: Test-set size per benchmark.
TEST_SIZES = {"hwnas": 625, "transnas": 256}
#: Repetitions of every experiment (seeds 0..49).
N_SEEDS = 50


def benchmark_of(search_space: str) -> str:
    """``'hwnas'`` for NAS-Bench-201 cells, ``'transnas'`` for either TransNAS space."""
    return "hwnas" if search_space == "nb201" else "transnas"


def test_set_size(search_space: str, n_archs: int | None = None) -> int:
    """The protocol's test-set size for a search space (625 or 256).

    With ``n_archs``, the test-set size of a dataset of that many architectures: the protocol's,
    or half of them on a dataset of fewer than twice as many (a partial measurement of one's own
    device; every benchmark dataset is larger).
    """
    size = TEST_SIZES[benchmark_of(search_space)]
    return size if n_archs is None else min(size, int(n_archs) // 2)


def test_set_key(search_space: str, n_archs: int) -> dict:
    """What a store key adds for a dataset's test-set size: nothing at the protocol's (every
    benchmark dataset), else ``{'n_test': size}``, so that no cell split otherwise is read for it."""
    size = test_set_size(search_space, n_archs)
    return {} if size == test_set_size(search_space) else {"n_test": size}


def nominal_train_sizes(search_space: str) -> tuple[int, ...]:
    """The protocol's 11 training sizes of a search space's benchmark, before clipping."""
    return HWNAS_TRAIN_SIZES if benchmark_of(search_space) == "hwnas" else TRANSNAS_TRAIN_SIZES


def train_sizes(search_space: str, n_archs: int, nominal=None) -> list[int]:
    """Training sizes clipped at a dataset's pool size (duplicates dropped), ascending.

    ``nominal`` defaults to the protocol's sizes of the benchmark; the largest HW-NAS size,
    15000, becomes 11929 on a dataset of 12554 architectures.
    """
    pool = n_archs - test_set_size(search_space, n_archs)
    sizes = nominal_train_sizes(search_space) if nominal is None else nominal
    return sorted({min(int(s), pool) for s in sizes})


def split(n_archs: int, seed: int, test_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The protocol's split of ``range(n_archs)`` for ``seed``.

    Returns
    -------
    test : ndarray of int, shape (test_size,)
        Drawn uniformly without replacement, first.
    pool : ndarray of int, shape (n_archs - test_size,)
        The remaining indices in a random order; training set of size n = ``pool[:n]``.
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError(f"a seed must be a whole number from 0, got {seed!r}")
    if not 0 < test_size < n_archs:
        raise InputError(f"test size {test_size} must be between 1 and {n_archs - 1} "
                         f"for {n_archs} architectures")
    rng = np.random.default_rng(seed)
    test = rng.choice(n_archs, size=test_size, replace=False)
    rest = np.setdiff1d(np.arange(n_archs), test)
    return test, rng.permutation(rest)
