"""The protocol's splits and sizes."""

from __future__ import annotations

import numpy as np
import pytest

from hwlib import protocol as P
from hwlib.errors import InputError


@pytest.mark.parametrize("seed", [0, 1, 17])
def test_split_properties(seed):
    test, pool = P.split(1000, seed, 100)
    assert len(test) == 100 and len(pool) == 900
    assert len(np.intersect1d(test, pool)) == 0
    assert sorted(np.r_[test, pool].tolist()) == list(range(1000))
    again = P.split(1000, seed, 100)
    np.testing.assert_array_equal(test, again[0])
    np.testing.assert_array_equal(pool, again[1])
    # training sets are nested prefixes
    small, large = pool[:25], pool[:124]
    assert set(small) <= set(large)


def test_split_depends_on_seed():
    assert not np.array_equal(P.split(1000, 0, 100)[0], P.split(1000, 1, 100)[0])


def test_split_bad_test_size():
    with pytest.raises(InputError):
        P.split(10, 0, 10)


@pytest.mark.parametrize("seed", [-1, 2.0, "3", True])
def test_split_bad_seed(seed):
    with pytest.raises(InputError, match="a seed must be a whole number from 0"):
        P.split(10, seed, 5)


def test_sizes_and_test_sets():
    assert P.test_set_size("nb201") == 625 and P.test_set_size("transnas_micro") == 256
    assert P.train_sizes("nb201", 15625) == list(P.HWNAS_TRAIN_SIZES)
    assert P.train_sizes("nb201", 12554)[-1] == 12554 - 625       # clipped at the pool
    # a partial measurement of one's own (under twice the test size) keeps half of it for testing
    assert P.test_set_size("nb201", 12554) == 625 and P.test_set_size("transnas_macro", 3256) == 256
    assert P.test_set_size("nb201", 900) == 450 and P.test_set_size("transnas_micro", 301) == 150
    assert P.train_sizes("nb201", 300) == [5, 11, 25, 55, 124, 150]
    # ... and its store keys say so; a benchmark dataset's keys are as before the rule
    assert P.test_set_key("nb201", 12554) == {} and P.test_set_key("nb201", 900) == {"n_test": 450}
    assert P.train_sizes("transnas_micro", 4096) == list(P.TRANSNAS_TRAIN_SIZES)
    assert len(P.HWNAS_TRAIN_SIZES) == len(P.TRANSNAS_TRAIN_SIZES) == 11
