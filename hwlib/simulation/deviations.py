"""Simulated predictor deviations (paper Section 5, PROTOCOL.md "Simulated predictor deviations"),
and how they compare with a trained predictor's (Figure 2).

The mixture is computed by numpy (:func:`_mixture`) or by its compiled twin (:func:`mixture_compiled`,
numba), which repeats numpy's summation order so that both give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import _jit
from .._jit import jit
from ..errors import InputError

__all__ = ["STDS", "simulate_deviations", "DeviationComparison", "compare_deviations"]

#: Deviation stds of the paper's grid, 0.0, 0.1, ..., 1.0.
STDS = tuple(round(0.1 * i, 1) for i in range(11))

# The deviation mixture (PROTOCOL.md, "Simulated predictor deviations").
_P_POS, _P_NEG = 0.725, 0.265          # weights of N(+c, 1) and N(-c, 3^2); U(-15, 15) takes the rest
_SD_NEG, _UNIFORM, _REPEATS = 3.0, 15.0, 15


def _check_std(std: float) -> float:
    try:
        std = float(std)
    except (TypeError, ValueError):
        raise InputError(f"std must be a number >= 0, got {std!r}") from None
    if not np.isfinite(std) or std < 0:
        raise InputError(f"std must be a finite number >= 0, got {std}")
    return std


@lru_cache(maxsize=64)
def _blocks(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Which drawn value each of ``size`` deviations repeats, and how often each value occurs."""
    m = max(size // _REPEATS, 1)
    j = np.arange(size)
    block = np.where(j < _REPEATS * m, j // _REPEATS, 0)   # the padding repeats the first value
    weights = np.bincount(block, minlength=m).astype(np.float64)
    block.setflags(write=False)
    weights.setflags(write=False)
    return block, weights


def _raw_draws(rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers behind ``m`` deviation values: 2m + 1 uniforms, 2 x m normals
    (:func:`hwlib.simulation.trials._draw_batch` draws the same numbers into its buffers)."""
    return rng.random(2 * m + 1), rng.standard_normal((2, m))


def _mixture(stds: np.ndarray, uniforms: np.ndarray, normals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Deviation values per std, shape (stds, m), from the raw draws (stds, 2m+1) and (stds, 2, m).

    Shift ``c = 2 s u``; component by ``r``: ``N(+c, 1)``, ``N(-c, 3^2)`` or ``U(-15, 15)``; then
    scaled so that the vector with value k repeated ``weights[k]`` times has std exactly ``s``.
    """
    m = weights.size
    shift = (2.0 * stds * uniforms[:, 0])[:, None]
    r, uni = uniforms[:, 1:m + 1], _UNIFORM * (2.0 * uniforms[:, m + 1:] - 1.0)
    values = np.where(r < _P_POS, normals[:, 0] + shift,
                      np.where(r < _P_POS + _P_NEG, _SD_NEG * normals[:, 1] - shift, uni))
    size = weights.sum()
    # Moments of the repeated vector; row sums (not a matrix product) so that each row's result
    # does not depend on how many stds are drawn together.
    mean = (values * weights).sum(axis=1) / size
    sd = np.sqrt(((values - mean[:, None]) ** 2 * weights).sum(axis=1) / size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((sd > 0)[:, None], values * (stds / sd)[:, None], 0.0)


@jit
def _block_sum(a, lo, n):
    """numpy's pairwise summation of at most 128 values: eight running sums, then the rest."""
    if n < 8:
        total = 0.0
        for i in range(lo, lo + n):
            total += a[i]
        return total
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += a[lo + i]
        i += 1
    return total


@jit
def _pairwise_sum(a, lo, n):
    """numpy's pairwise summation of ``a[lo:lo + n]``, step for step, so that sums match numpy's
    bit for bit: blocks of at most 128 values, halved at multiples of 8, added as a binary tree.
    (numpy recurses; an explicit stack here, because numba cannot cache recursive functions.)"""
    if n <= 128:
        return _block_sum(a, lo, n)
    f_lo, f_n = np.empty(64, dtype=np.intp), np.empty(64, dtype=np.intp)
    f_phase = np.zeros(64, dtype=np.intp)
    sums = np.empty(64)
    top, k = 0, 0                        # frames and partial sums on the stacks
    f_lo[0], f_n[0] = lo, n
    while top >= 0:
        start, size = f_lo[top], f_n[top]
        half = size // 2
        half -= half % 8
        if size <= 128:
            sums[k] = _block_sum(a, start, size)
            k += 1
            top -= 1
        elif f_phase[top] == 0:          # left half next
            f_phase[top] = 1
            top += 1
            f_lo[top], f_n[top], f_phase[top] = start, half, 0
        elif f_phase[top] == 1:          # then the right half
            f_phase[top] = 2
            top += 1
            f_lo[top], f_n[top], f_phase[top] = start + half, size - half, 0
        else:                            # both done: left + right
            k -= 1
            sums[k - 1] = sums[k - 1] + sums[k]
            top -= 1
    return sums[0]


@jit
def mixture_compiled(stds, uniforms, normals, weights, p_pos, p_neg, sd_neg, uniform, out):
    """:func:`_mixture` in one pass per row, with numpy's summation order, into ``out`` (stds, m)."""
    m = weights.size
    size = _pairwise_sum(weights, 0, m)
    values, tmp = np.empty(m), np.empty(m)
    for r in range(stds.size):
        u = uniforms[r]
        shift = 2.0 * stds[r] * u[0]
        for i in range(m):
            if u[1 + i] < p_pos:
                values[i] = normals[r, 0, i] + shift
            elif u[1 + i] < p_pos + p_neg:
                values[i] = sd_neg * normals[r, 1, i] - shift
            else:
                values[i] = uniform * (2.0 * u[m + 1 + i] - 1.0)
            tmp[i] = values[i] * weights[i]
        mean = _pairwise_sum(tmp, 0, m) / size
        for i in range(m):
            d = values[i] - mean
            tmp[i] = d * d * weights[i]
        sd = np.sqrt(_pairwise_sum(tmp, 0, m) / size)
        factor = stds[r] / sd if sd > 0 else 0.0
        for i in range(m):
            out[r, i] = values[i] * factor if sd > 0 else 0.0


def mix(stds: np.ndarray, uniforms: np.ndarray, normals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:func:`_mixture`, compiled where numba is installed (the same bits either way)."""
    if not _jit.AVAILABLE:
        return _mixture(stds, uniforms, normals, weights)
    out = np.empty((len(stds), weights.size))
    mixture_compiled(stds, uniforms, normals, weights, _P_POS, _P_NEG, _SD_NEG, _UNIFORM, out)
    return out


def _deviation_values(std: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """The ``max(size // 15, 1)`` distinct deviation values, scaled (see :func:`simulate_deviations`)."""
    _, weights = _blocks(size)
    if std == 0:
        return np.zeros(weights.size)
    uniforms, normals = _raw_draws(rng, weights.size)
    return _mixture(np.array([std]), uniforms[None], normals[None], weights)[0]


def simulate_deviations(std: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Simulated predictor deviations, drawn as the released code draws them.

    A shift ``c ~ U(0, 2 std)``; ``floor(size / 15)`` values from the mixture
    ``0.725 N(+c, 1) + 0.265 N(-c, 3^2) + 0.01 U(-15, 15)``; each value repeated 15 times in a row,
    padded to ``size`` with the first ones; the whole vector scaled so that its (population) std
    is exactly ``std``, the mean not removed (the std is taken from the weighted moments of the
    distinct values, equal to ``np.std`` of the vector up to rounding). ``std = 0`` gives zeros.

    Parameters
    ----------
    std : float
        Target standard deviation, >= 0 (z-scored hardware units).
    size : int
        Number of architectures.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (size,)
        Deviations in the order the architectures were drawn: 15 consecutive ones share a value.
        Below 30 architectures all values are one repeated draw whose std is 0; it cannot be
        scaled to ``std`` and, a constant shift, changes no ranking, so zeros are returned.
    """
    std = _check_std(std)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise InputError(f"size must be an integer >= 1, got {size!r}")
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")
    return _deviation_values(std, int(size), rng)[_blocks(int(size))[0]]


# ----------------------------------------------------------------------------- Figure 2


#: Figure 2's dataset in the paper, and the stand-in with the same device and metric.
FIGURE2_DATASETS = ("ImageNet16-120-raspi4_latency", "cifar10-raspi4_latency")


@dataclass(frozen=True, eq=False)
class DeviationComparison:
    """A trained predictor's test deviations beside simulated deviations of the same std (Figure 2).

    Attributes
    ----------
    dataset, predictor : str
    n_train : int
        Training architectures.
    truth, pred : ndarray, shape (test,)
        Z-scored true and predicted values of the test architectures.
    simulated : ndarray, shape (size,)
        :func:`simulate_deviations` at the std of ``pred - truth``.
    """

    dataset: str
    predictor: str
    n_train: int
    truth: np.ndarray
    pred: np.ndarray
    simulated: np.ndarray

    @property
    def deviations(self) -> np.ndarray:
        """``pred - truth``, shape (test,)."""
        return self.pred - self.truth

    def shape_stats(self) -> dict[str, float]:
        """Std, Kendall tau, skewness and excess kurtosis of the predictor's deviations, and the
        skewness and excess kurtosis of the simulated ones (a normal has 0 and 0)."""
        from scipy import stats

        from ..metrics import kendalltau

        dev = self.deviations
        return {"std": float(dev.std()), "kendalltau": kendalltau(self.truth, self.pred),
                "skew": float(stats.skew(dev)), "kurtosis": float(stats.kurtosis(dev)),
                "simulated_skew": float(stats.skew(self.simulated)),
                "simulated_kurtosis": float(stats.kurtosis(self.simulated))}


def compare_deviations(dataset: str | None = None, n_train: int = 1000, seed: int = 0, predictor: str = "xgb",
                       size: int = 15000) -> DeviationComparison:
    """Train ``predictor`` (the protocol's defaults) on ``n_train`` architectures of the training
    pool of seed ``seed``, predict the seed's test architectures, and draw simulated deviations of
    the same std (``size`` of them, generator seeded with ``seed``).

    Parameters
    ----------
    dataset : str, optional
        Default: the paper's ImageNet16-120 raspi4 latency where at hand, else cifar10's.

    Raises
    ------
    InputError
        For an unknown dataset or predictor, or ``n_train`` outside the training pool.
    """
    from .. import data, protocol
    from ..predictors import make_predictor

    if dataset is None:
        at_hand = data.list_datasets()
        dataset = next((name for name in FIGURE2_DATASETS if name in at_hand), FIGURE2_DATASETS[-1])
    ds = data.load_dataset(dataset)
    test, pool = protocol.split(ds.n_archs, seed, protocol.test_set_size(ds.search_space, ds.n_archs))
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)) or not 1 <= n_train <= len(pool):
        raise InputError(f"n_train must be an integer in 1..{len(pool)} (the training pool), got {n_train!r}")
    model = make_predictor(predictor, ds.search_space, random_state=seed)
    model.fit(ds.A[pool[:n_train]], ds.y_z[pool[:n_train]])
    pred, truth = model.predict(ds.A[test]), ds.y_z[test]
    simulated = simulate_deviations(float((pred - truth).std()), size, np.random.default_rng(seed))
    return DeviationComparison(dataset, predictor, int(n_train), truth, pred, simulated)
