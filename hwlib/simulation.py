"""The selection simulation (paper Section 5): predictor-guided Pareto selection under simulated
deviations, scored by the mean reduction in accuracy (MRA) and the hypervolume (HV).

One *trial* draws a subset ``S`` of ``n`` architectures. For each deviation std ``s`` a simulated
prediction of the z-scored hardware value is ``hw + eps`` (:func:`simulate_deviations`; accuracy
is never perturbed). With both objectives minimised, ``F = (-acc / 100, hw)``:

* the true front ``P*`` is the non-dominated set of ``S`` under the true values;
* the selected set ``T`` is the non-dominated set under ``(acc, hw + eps)``, judged with true values;
* the verified set ``T_par`` is the non-dominated subset of ``T`` under the true values.

MRA of a selected point is the accuracy gap (percentage points) to the most accurate point of
``P*`` that weakly dominates it; ``MRA_all`` / ``MRA_pareto`` average it over ``T`` / ``T_par``.
HV is measured in the ``F`` plane against ``(0, 1.1 * max hw over S)``. Kendall tau compares true
and simulated hardware values over ``S``. ``hv_selected`` and ``hv_verified`` are equal by
construction (dominated points add no area); both are reported because the issue asks for them.

Speed: the dataset is sorted by accuracy once, so a subset drawn as positions is in accuracy order
after sorting integers. The hot loops are compiled (:mod:`hwlib._kernels`, numba): per (trial,
level) one pass builds the noisy values and keeps the few candidates a running minimum leaves;
the exact fronts, MRA and HV are computed on those candidates alone, the MRA gap of every point
once per trial. Kendall tau, the costliest part, takes one numpy (SIMD) sort per row of 32-bit keys
(quantised value above, position below) and a bit-set count of the discordant pairs; the few
pairs whose values share a quantised key are settled one by one. Every result equals, bit for
bit, the vectorised numpy path kept in this module (:func:`_evaluate_batch`), which runs when
numba is missing; ``bench/bench_simulation.py`` times both against a pymoo reference.

Pairing: ``"architecture"`` (default) pairs each architecture's accuracy with its own hardware
value. ``"sorted"`` reproduces the released code, which sorted the hardware values before pairing
them with accuracies listed in lexicographic op-tuple order (PROTOCOL.md, QUIRK).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import _kernels, paths
from .errors import InputError
from .pareto import hypervolume_sorted, nondominated_mask, nondominated_sorted

try:  # the compiled counter behind scipy.stats.kendalltau; 3-5x faster than calling kendalltau per row
    from scipy.stats._stats import _kendall_dis
except ImportError:  # pragma: no cover - fall back to the public function
    _kendall_dis = None

__all__ = ["STDS", "SIZES", "PAIRINGS", "METRICS", "PUBLISHED", "SelectionProblem", "Selection",
           "simulate_deviations", "selection_problem", "accuracy_dataset", "accuracy_matched_datasets",
           "draw_trial",
           "select", "simulate_selection", "simulate_trials", "kendalltau_rows", "summarize",
           "run_grid", "grid_cells", "predictor_selection", "run_predictor_grid", "equal_tau",
           "live_equivalent", "live_equivalent_table"]

log = logging.getLogger(__name__)

#: Deviation stds of the paper's grid, 0.0, 0.1, ..., 1.0.
STDS = tuple(round(0.1 * i, 1) for i in range(11))
#: Subset sizes of the paper's grid (15625 is clipped to the architectures a dataset has).
SIZES = (100, 500, 1000, 2000, 5000, 15625)
PAIRINGS = ("architecture", "sorted")
#: Per-trial results; the first six are the CLI's JSON keys.
METRICS = ("kendalltau", "mra_all", "mra_pareto", "hv_true", "hv_selected", "hv_verified",
           "hv_predicted", "n_true", "n_selected", "n_verified")
#: Published values (sorted pairing, means over the paper's five datasets and all six sizes).
PUBLISHED = {
    "mra": {0.2: (1.43, 0.50), 0.4: (1.94, 1.18), 1.0: (2.51, 2.38)},   # std: (MRA_all, MRA_pareto) %
    "kendalltau": {0.2: 0.88, 0.4: 0.78, 0.6: 0.69, 0.8: 0.62, 1.0: 0.57},
    "hv_true": {100: 3.0, 15625: 4.2},                                   # n: HV of the true front
    "figure3": {"std": 0.5, "mra_all": 1.06, "mra_pareto": 0.43, "hv_loss": 0.07, "n_selected": 13},
    "live_equivalent": {"n_live": 5000, "kendalltau": 0.73},            # Section 5, time budget
}
#: Bump when the meaning of cached results changes.
VERSION = "2"

# The deviation mixture (PROTOCOL.md, "Simulated predictor deviations").
_P_POS, _P_NEG = 0.725, 0.265          # weights of N(+c, 1) and N(-c, 3^2); U(-15, 15) takes the rest
_SD_NEG, _UNIFORM, _REPEATS = 3.0, 15.0, 15
_ELEMENTS_PER_BATCH = 1 << 21          # trials x levels x n per vectorised batch (~16 MB a float array)


# ----------------------------------------------------------------------------- deviations


def _check_std(std: float) -> float:
    std = float(std)
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
    (:func:`_draw_batch` draws the same numbers into its buffers)."""
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
    return _deviation_values(std, int(size), rng)[_blocks(int(size))[0]]


# ----------------------------------------------------------------------------- the problem


@dataclass(frozen=True, eq=False)
class SelectionProblem:
    """Accuracy and z-scored hardware value of every point, sorted by accuracy (best first).

    Attributes
    ----------
    name : str
        Dataset name; with ``seed``, ``n`` and the trial it fixes every random draw, so both
        pairings of one dataset see the same subsets and deviations.
    acc : ndarray, shape (N,)
        Test accuracy in %, non-increasing.
    hw : ndarray, shape (N,)
        Z-scored hardware value paired with ``acc``.
    A : ndarray of int64, shape (N, 6)
        Op codes of the architecture whose accuracy each point carries.
    pairing : str
        ``'architecture'`` or ``'sorted'``.
    checksum : str
        Digest of the source data (part of the cache key).
    """

    name: str
    acc: np.ndarray
    hw: np.ndarray
    A: np.ndarray
    pairing: str = "architecture"
    checksum: str = ""

    @property
    def n_archs(self) -> int:
        return int(self.acc.shape[0])

    @cached_property
    def value_ranks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The points by increasing hardware value (ties by position), every point's rank in
        that order, and its dense hardware-value rank."""
        order = np.argsort(self.hw, kind="stable")
        rank = np.empty(self.n_archs, dtype=np.intp)
        rank[order] = np.arange(self.n_archs)
        new = np.r_[True, self.hw[order][1:] != self.hw[order][:-1]]
        dense = np.empty(self.n_archs, dtype=np.intp)
        dense[order] = np.cumsum(new) - 1
        return order, rank, dense

    @property
    def f0(self) -> np.ndarray:
        """First objective, ``-acc / 100``, non-decreasing."""
        return -self.acc / 100.0

    @classmethod
    def from_arrays(cls, acc, hw, A=None, name: str = "custom", pairing: str = "architecture",
                    checksum: str | None = None) -> "SelectionProblem":
        """Build a problem from paired arrays (any order); ``pairing='sorted'`` applies the quirk.

        Parameters
        ----------
        acc, hw : array_like, shape (N,)
            Accuracy in % and z-scored hardware value, paired by architecture.
        A : array_like of int, shape (N, positions), optional
            Op codes; the quirk lists accuracies in their lexicographic order.
        """
        acc, hw = np.asarray(acc, dtype=np.float64), np.asarray(hw, dtype=np.float64)
        if acc.ndim != 1 or acc.shape != hw.shape or acc.size < 2:
            raise InputError(f"acc and hw must be 1-D of one length >= 2, got {acc.shape}, {hw.shape}")
        if not (np.isfinite(acc).all() and np.isfinite(hw).all()):
            raise InputError("acc and hw must be finite")
        A = np.zeros((acc.size, 0), np.int64) if A is None else np.asarray(A, dtype=np.int64)
        if pairing == "sorted":
            lex = np.lexsort(A.T[::-1]) if A.shape[1] else np.arange(acc.size)
            acc, A, hw = acc[lex], A[lex], np.sort(hw)
        elif pairing != "architecture":
            raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
        order = np.argsort(-acc / 100.0, kind="stable")
        if checksum is None:
            checksum = hashlib.sha256(acc.tobytes() + hw.tobytes()).hexdigest()[:16]
        arrays = (acc[order], hw[order], A[order])
        for a in arrays:
            a.setflags(write=False)
        return cls(name, *arrays, pairing=pairing, checksum=checksum)


def _image_dataset(name: str) -> str:
    from .data import IMAGE_DATASETS
    for image in sorted(IMAGE_DATASETS, key=len, reverse=True):
        if name.startswith(image + "-"):
            return image
    raise InputError(f"dataset {name!r} has no NB201 accuracy; the selection simulation needs an "
                     "HW-NAS-Bench dataset '<cifar10|cifar100|ImageNet16-120>-<metric>'")


@lru_cache(maxsize=32)
def selection_problem(dataset: str, pairing: str = "architecture") -> SelectionProblem:
    """The selection problem of an HW-NAS-Bench dataset: NB201 accuracy of its image dataset and
    its hardware values z-scored over all of its architectures.

    ``'<dataset>@<image>'`` takes the accuracy of another image dataset (cifar10, cifar100,
    ImageNet16-120) instead, e.g. ``'cifar10-raspi4_latency@ImageNet16-120'``: with only cifar10
    hardware values at hand, this matches the accuracy scale of the paper's datasets
    (:func:`accuracy_matched_datasets`).

    Raises
    ------
    InputError
        For an unknown pairing or image dataset, or a dataset without NB201 accuracy.
    """
    from .data import load_accuracy, load_dataset

    if pairing not in PAIRINGS:
        raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
    hw_name = str(dataset).partition("@")[0]
    ds = load_dataset(hw_name)
    if ds.search_space != "nb201":
        raise InputError(f"dataset {hw_name!r} is not on NB201 cells; the simulation needs NB201 accuracy")
    acc = load_accuracy(accuracy_dataset(dataset))[ds.index]
    return SelectionProblem.from_arrays(acc, ds.y_z, ds.A, name=dataset, pairing=pairing,
                                        checksum=ds.checksum)


def accuracy_dataset(dataset: str) -> str:
    """The image dataset whose NB201 accuracy :func:`selection_problem` pairs with ``dataset``."""
    hw_name, _, image = str(dataset).partition("@")
    return image or _image_dataset(hw_name)


def accuracy_matched_datasets() -> list[str]:
    """The paper's five datasets, or stand-ins with the paper's accuracy where only cifar10 hardware
    values are at hand (``'cifar10-raspi4_latency@ImageNet16-120'`` for
    ImageNet16-120-raspi4_latency): the hardware metric of the cifar10 network, the accuracy of
    the image dataset the paper used."""
    from .data import PAPER_HWNAS, hard_datasets

    names = []
    for paper, ours in zip(PAPER_HWNAS, hard_datasets("hwnas")):
        image = _image_dataset(paper)
        names.append(ours if _image_dataset(ours) == image else f"{ours}@{image}")
    return names


# ----------------------------------------------------------------------------- trials


_STREAMS = threading.local()


@lru_cache(maxsize=256)
def _key_hash(seed: int, name: str, n: int):
    """BLAKE2b state after the common start of the keys of one (seed, dataset, n)."""
    return hashlib.blake2b(repr((seed, name, n, 0))[:-2].encode(), digest_size=32)


def _stream_state(seed: int, name: str, n: int, trial: int, std: float | None) -> dict:
    """PCG64 state of the stream (seed, dataset, n, trial[, std]): BLAKE2b of the key's repr,
    odd increment. The hash of the key's common start is kept, so each stream hashes only
    ``'<trial>, <std>)'``."""
    h = _key_hash(seed, name, n).copy()
    h.update(f"{trial!r}, {None if std is None else float(std)!r})".encode())
    digest = h.digest()
    return {"bit_generator": "PCG64", "has_uint32": 0, "uinteger": 0,
            "state": {"state": int.from_bytes(digest[:16], "little"),
                      "inc": int.from_bytes(digest[16:], "little") | 1}}


def _rng(seed: int, name: str, n: int, trial: int, std: float | None = None,
         reuse: bool = False) -> np.random.Generator:
    """Independent stream per (seed, dataset, n, trial[, std]): results do not depend on batching,
    on which other stds are simulated, or on the pairing.

    ``reuse`` moves this thread's scratch generator to the stream instead of building a new one
    (4x cheaper; the previous stream is gone).
    """
    if not reuse:
        gen = np.random.Generator(np.random.PCG64(0))
    elif (gen := getattr(_STREAMS, "gen", None)) is None:
        gen = _STREAMS.gen = np.random.Generator(np.random.PCG64(0))
    gen.bit_generator.state = _stream_state(seed, name, n, trial, std)
    return gen


def _draw_batch(problem: SelectionProblem, n: int, stds: Sequence[float], seed: int,
                trials: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subsets, deviation blocks and block values of several trials.

    Returns
    -------
    pos, block : ndarray of int, shape (trials, n)
        Subset positions (sorted) and the deviation block of each point.
    values : ndarray, shape (trials, stds, blocks)
        Deviation values; zero where the std is 0. The mixture runs once for the whole batch;
        each row's values do not depend on the others (see :func:`_mixture`).
    """
    N = problem.n_archs
    block, weights = _blocks(n)
    m = weights.size
    noisy = [k for k, s in enumerate(stds) if s > 0]
    pos, blocks = np.empty((len(trials), n), dtype=np.intp), np.empty((len(trials), n), dtype=np.intp)
    uniforms = np.empty((len(trials), len(noisy), 2 * m + 1))
    normals = np.empty((len(trials), len(noisy), 2, m))
    for b, trial in enumerate(trials):
        pos[b] = _rng(seed, problem.name, n, trial, reuse=True).choice(N, size=n, replace=False)
        for j, k in enumerate(noisy):               # the draws of _raw_draws, written in place
            gen = _rng(seed, problem.name, n, trial, stds[k], reuse=True)
            gen.random(out=uniforms[b, j])
            gen.standard_normal(out=normals[b, j])
    if _kernels.AVAILABLE:
        _kernels.sort_draws(pos, block, N, blocks)
    else:
        for b, drawn in enumerate(pos):
            if 16 * n < N:
                order = np.argsort(drawn)
            else:                               # O(N) instead of a sort when n is a large share of N
                rank = np.empty(N, dtype=np.intp)
                rank[drawn] = np.arange(n)
                marked = np.zeros(N, dtype=bool)
                marked[drawn] = True
                order = rank[np.flatnonzero(marked)]
            pos[b], blocks[b] = drawn[order], block[order]
    values = np.zeros((len(trials), len(stds), m))
    if noisy:
        level_stds = np.tile(np.asarray(stds)[noisy], len(trials))
        uniforms, normals = uniforms.reshape(-1, 2 * m + 1), normals.reshape(-1, 2, m)
        if _kernels.AVAILABLE:
            mixed = np.empty((len(level_stds), m))
            _kernels.mixture(level_stds, uniforms, normals, weights, _P_POS, _P_NEG, _SD_NEG, _UNIFORM, mixed)
        else:
            mixed = _mixture(level_stds, uniforms, normals, weights)
        values[:, noisy] = mixed.reshape(len(trials), len(noisy), m)
    return pos, blocks, values


def draw_trial(problem: SelectionProblem, n: int, stds: Sequence[float], seed: int,
               trial: int) -> tuple[np.ndarray, np.ndarray]:
    """The random inputs of one trial: a subset and its deviations per std.

    Returns
    -------
    pos : ndarray of int, shape (n,)
        Positions in ``problem`` (sorted, so the subset is in accuracy order).
    eps : ndarray, shape (len(stds), n)
        Deviations of the subset's points, in the same order. They were drawn in the subset's
        random draw order, so the 15 points that share a value form a random group; row ``k``
        equals :func:`simulate_deviations` of ``stds[k]`` reordered.
    """
    n, stds, _, seed = _check_run(problem, n, stds, 1, seed)
    pos, block, values = _draw_batch(problem, n, stds, seed, [trial])
    return pos[0], np.take(values[0], block[0], axis=1)


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
    return ranks, _run_pairs(new), _run_pairs(new_xy)


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
    return order, np.cumsum(new, axis=-1, dtype=np.intp), _run_pairs(new)


def _run_pairs(new: np.ndarray) -> np.ndarray | int:
    """Pairs within runs, given run-start flags along the last axis: sum of k(k-1)/2 over runs."""
    at = np.arange(new.shape[-1])
    pairs = (at - np.maximum.accumulate(np.where(new, at, 0), axis=-1)).sum(axis=-1)
    return int(pairs) if np.ndim(pairs) == 0 else pairs


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
    return _tau_b(n, xtie[group], ytie, joint, dis)


def _tau_b(n: int, xtie, ytie, joint, dis) -> np.ndarray:
    """Kendall tau-b from the pair counts of ``n`` points: x-tied, y-tied, tied in both, discordant."""
    tot = n * (n - 1) // 2
    dis = np.asarray(dis, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = (tot - xtie - ytie + joint - 2 * dis) / np.sqrt(tot - xtie) / np.sqrt(tot - ytie)
    return np.clip(np.where((xtie == tot) | (ytie == tot), np.nan, tau), -1.0, 1.0)


def kendalltau_rows(x, Y) -> np.ndarray:
    """Kendall tau-b between ``x`` and each row of ``Y``, as ``scipy.stats.kendalltau`` computes it.

    ``x`` is sorted once; each row costs one sort and scipy's compiled discordant-pair count.

    Parameters
    ----------
    x : array_like, shape (n,)
    Y : array_like, shape (rows, n)

    Returns
    -------
    ndarray, shape (rows,)
        NaN where ``x`` or a row is constant.
    """
    x, Y = np.asarray(x, dtype=np.float64), np.atleast_2d(np.asarray(Y, dtype=np.float64))
    n = x.size
    if Y.shape[-1] != n or Y.ndim != 2:
        raise InputError(f"Y must have shape (rows, {n}), got {Y.shape}")
    if _kendall_dis is None or n < 2:
        return np.array([stats.kendalltau(x, y).statistic if n > 1 else np.nan for y in Y])
    return _kendall(x[None, :], Y, np.zeros(len(Y), dtype=np.intp))


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


def _evaluate_batch(acc: np.ndarray, hw: np.ndarray, pred: np.ndarray, kendall: bool = True) -> dict:
    """All metrics of a batch: ``acc``, ``hw`` (trials, n) in accuracy order, predicted hardware
    values ``pred`` (trials, levels, n) in the same order."""
    trials, levels, n = pred.shape
    f0 = -acc / 100.0
    gaps = _mra_gaps(acc, hw)
    cand = _candidates(f0[:, None, :], pred).reshape(-1, n)
    c_f0, c_pred, c_hw, c_gap = _compact(cand, f0, pred, hw, gaps)
    sel = nondominated_sorted(c_f0, c_pred) & np.isfinite(c_pred)
    c_sel = np.where(sel, c_hw, np.inf)
    ver = nondominated_sorted(c_f0, c_sel) & sel
    ref = np.repeat(1.1 * hw.max(axis=-1), levels)
    n_sel, n_ver = sel.sum(-1), ver.sum(-1)
    out = {
        "mra_all": np.cumsum(np.where(sel, c_gap, 0.0), axis=-1)[:, -1] / n_sel,   # padding-proof sums
        "mra_pareto": np.cumsum(np.where(ver, c_gap, 0.0), axis=-1)[:, -1] / n_ver,
        "hv_true": np.repeat(hypervolume_sorted(f0, hw, 0.0, 1.1 * hw.max(axis=-1)), levels),
        "hv_selected": hypervolume_sorted(c_f0, c_sel, 0.0, ref),
        "hv_verified": hypervolume_sorted(c_f0, np.where(ver, c_hw, np.inf), 0.0, ref),
        "hv_predicted": hypervolume_sorted(c_f0, np.where(sel, c_pred, np.inf), 0.0, ref),
        "n_true": np.repeat(nondominated_sorted(f0, hw).sum(-1), levels),
        "n_selected": n_sel, "n_verified": n_ver,
    }
    out = {k: v.reshape(trials, levels) for k, v in out.items()}
    out["kendalltau"] = _kendall_batch(hw, pred) if kendall else np.full((trials, levels), np.nan)
    return out


def _kendall_batch(hw: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Kendall tau per (trial, level), all rows at once; levels without deviations are 1."""
    kt = np.where(np.ptp(hw, axis=-1) > 0, 1.0, np.nan)[:, None].repeat(pred.shape[1], axis=1)
    noisy = (pred != hw[:, None, :]).any(axis=-1)
    if noisy.any():
        trial, level = np.nonzero(noisy)
        if _kendall_dis is None:
            kt[trial, level] = [stats.kendalltau(hw[t], pred[t, k]).statistic for t, k in zip(trial, level)]
        else:
            kt[trial, level] = _kendall(hw, pred[trial, level], trial)
    return kt


def _evaluate_compiled(problem: SelectionProblem, pos: np.ndarray, block: np.ndarray, values: np.ndarray,
                       kendall: bool = True) -> dict:
    """:func:`_evaluate_batch` for block deviations, in compiled loops (:mod:`hwlib._kernels`).

    ``pos``, ``block`` (trials, n): the subsets (increasing positions, so in accuracy order) and
    the deviation block of each point; ``values`` (trials, levels, m): the noisy value of point
    ``i`` at level ``k`` is ``hw[t, i] + values[t, k, block[t, i]]``. The results equal
    :func:`_evaluate_batch` on those noisy values, bit for bit.
    """
    acc, hw = problem.acc[pos], problem.hw[pos]
    trials, levels = hw.shape[0], values.shape[1]
    by_value = _value_order(problem, pos, block)
    out = np.empty((10, trials, levels))
    noisy = np.empty((trials, levels), dtype=bool)
    _kernels.select_batch(acc, -acc / 100.0, hw, block, values, 1.1 * hw.max(axis=-1), by_value[0], out,
                          noisy, pos.shape[1] == problem.n_archs)
    res = dict(zip(("mra_all", "mra_pareto", "hv_selected", "hv_verified", "hv_predicted",
                    "n_selected", "n_verified", "hv_true", "n_true"), out[:9]))
    kt = np.full((trials, levels), np.nan)
    if kendall:
        kt[:] = np.where(np.ptp(hw, axis=-1) > 0, 1.0, np.nan)[:, None]
        rows = np.argwhere(noisy)
        if len(rows):
            kt[rows[:, 0], rows[:, 1]] = _kendall_compiled(*by_value[1:], values, rows)
    res["kendalltau"] = kt
    return res


def _value_order(problem: SelectionProblem, pos: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each subset in increasing hardware value (ties by position): the points' indices, their
    dense value ranks, values and deviation blocks, each of shape (trials, n); the first three
    have a single row when every trial holds all of the problem's points."""
    trials, n = pos.shape
    by_value, rank, dense = problem.value_ranks
    if n == problem.n_archs:            # every trial holds every point: one order serves all
        return by_value[None], dense[by_value][None], problem.hw[by_value][None], block[:, by_value]
    order, xr, block_x = (np.empty((trials, n), dtype=np.intp) for _ in range(3))
    hw_x = np.empty((trials, n))
    _kernels.subset_value_order(pos, block, rank, dense, problem.hw, order, xr, hw_x, block_x)
    return order, xr, hw_x, block_x


def _kendall_compiled(xr: np.ndarray, hw_x: np.ndarray, block_x: np.ndarray, values: np.ndarray,
                      rows: np.ndarray) -> np.ndarray:
    """Kendall tau of the (trial, level) ``rows``: noisy values and keys in compiled loops, one
    numpy sort of the keys (SIMD), and a compiled discordant-pair count (:mod:`hwlib._kernels`).
    ``xr``, ``hw_x``, ``block_x``: from :func:`_value_order`."""
    n = xr.shape[1]
    new = np.ones(xr.shape, dtype=bool)
    np.not_equal(xr[:, 1:], xr[:, :-1], out=new[:, 1:])
    xtie = _run_pairs(new)
    xtie = xtie[rows[:, 0]] if len(xr) > 1 else np.full(len(rows), xtie[0])
    low_bits = max(int(n - 1).bit_length(), 1)
    # Rows in chunks of about 2^18 values: the scratch arrays stay in cache and are reused.
    chunk = min(len(rows), max(1, (1 << 18) // n))
    # 32-bit keys sort twice as fast; they keep at least 16 bits for the value below 2^16 points
    keys = np.empty((chunk, n), dtype=np.uint32 if low_bits <= 16 else np.uint64)
    counts = np.empty((len(rows), 3), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        k = keys[:len(part)]
        _kernels.kendall_keys(hw_x, block_x, values, part, low_bits, k)
        k.sort(axis=-1)
        _kernels.kendall_counts(k, hw_x, block_x, values, xr, part, low_bits, counts[start:start + chunk])
    return _tau_b(n, xtie, counts[:, 1], counts[:, 2], counts[:, 0])


def simulate_trials(problem: SelectionProblem, n: int, stds: Sequence[float] = STDS,
                    trials: int = 1000, seed: int = 0, kendall: bool = True) -> dict[str, np.ndarray]:
    """Run ``trials`` selections of ``n`` architectures at each deviation std, vectorised.

    Parameters
    ----------
    problem : SelectionProblem
    n : int
        Subset size, 2 <= n <= problem.n_archs.
    stds : sequence of float
        Deviation stds; within a trial one subset serves all of them, deviations drawn anew.
    trials : int
    seed : int
        Trial ``t`` uses its own random streams (:func:`draw_trial`), so the first ``k`` trials of
        a run equal a run of ``k`` trials.
    kendall : bool
        Compute Kendall tau (the costliest metric); NaN otherwise.

    Returns
    -------
    dict of str -> ndarray, shape (trials, len(stds))
        Every name of :data:`METRICS`; MRA in percentage points.
    """
    n, stds, trials, seed = _check_run(problem, n, stds, trials, seed)
    batch = max(1, min(trials, _ELEMENTS_PER_BATCH // (len(stds) * n)))
    parts = []
    for start in range(0, trials, batch):
        pos, block, values = _draw_batch(problem, n, stds, seed, range(start, min(start + batch, trials)))
        if _kernels.AVAILABLE:
            parts.append(_evaluate_compiled(problem, pos, block, values, kendall))
        else:
            hw = problem.hw[pos]
            eps = np.take_along_axis(values, block[:, None, :], axis=2)
            parts.append(_evaluate_batch(problem.acc[pos], hw, hw[:, None, :] + eps, kendall))
    return {k: np.concatenate([p[k] for p in parts]).astype(np.float64) for k in METRICS}


def _check_run(problem: SelectionProblem, n: int, stds, trials: int, seed: int):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= problem.n_archs:
        raise InputError(f"n must be an integer in 2..{problem.n_archs} (the architectures of "
                         f"{problem.name}), got {n!r}")
    stds = tuple(_check_std(s) for s in np.atleast_1d(stds))
    if not stds:
        raise InputError("stds must name at least one deviation std")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InputError(f"trials must be an integer >= 1, got {trials!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    return int(n), stds, int(trials), int(seed)


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


def simulate_selection(problem: SelectionProblem, n: int, std: float, seed: int = 0,
                       trial: int = 0) -> Selection:
    """Trial ``trial`` of the simulation at one std, as a :class:`Selection` (Figure 3)."""
    n, stds, _, seed = _check_run(problem, n, [std], 1, seed)
    pos, eps = draw_trial(problem, n, stds, seed, trial)
    hw = problem.hw[pos]
    return select(problem.acc[pos], hw, hw + eps[0])


# ----------------------------------------------------------------------------- summaries, grid


def summarize(dataset: str, n: int, std: float, trials: int, pairing: str = "architecture",
              seed: int = 0) -> dict:
    """Means over ``trials`` selections of ``n`` architectures of ``dataset`` at deviation ``std``.

    The values equal the ``std`` row of :func:`run_grid` with the same seed.

    Returns
    -------
    dict
        ``kendalltau, mra_all, mra_pareto, hv_true, hv_selected, hv_verified`` (MRA in percentage
        points), plus ``hv_predicted``, the mean set sizes and the parameters.

    Raises
    ------
    InputError
        For n outside 2..(architectures of the dataset), std < 0, trials < 1, an unknown pairing.
    """
    problem = selection_problem(dataset, pairing)
    res = simulate_trials(problem, n, [std], trials, seed)
    out: dict = {k: float(np.nanmean(v[:, 0])) for k, v in res.items()}
    out.update(dataset=dataset, n=int(n), std=float(std), trials=int(trials), pairing=pairing, seed=int(seed))
    return out


def grid_cells(datasets: Iterable, sizes: Iterable[int],
               pairing: str = "architecture") -> list[tuple[SelectionProblem, int, int]]:
    """(problem, requested n, n used) of a grid; n is clipped to the problem's architectures.

    ``datasets`` holds dataset names (see :func:`selection_problem`) or :class:`SelectionProblem`
    objects (which keep their own pairing).
    """
    cells = []
    for item in datasets:
        problem = item if isinstance(item, SelectionProblem) else selection_problem(item, pairing)
        cells.extend((problem, int(n), min(int(n), problem.n_archs)) for n in sizes)
    return cells


def _cell_key(problem: SelectionProblem, n: int, stds, trials: int, seed: int) -> str:
    params = {"version": VERSION, "dataset": problem.name, "data": problem.checksum,
              "pairing": problem.pairing, "n": n, "stds": list(stds), "trials": trials, "seed": seed}
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def _cell(problem: SelectionProblem, n: int, stds, trials: int, seed: int, cache: Path | None) -> dict:
    """Per-trial results of one grid cell, from the cache when there."""
    path = None
    if cache is not None:
        safe = problem.name.replace("/", "_").replace("@", "_at_")
        path = cache / f"{safe}__{problem.pairing}__n{n}__{_cell_key(problem, n, stds, trials, seed)}.npz"
        if path.exists():
            with np.load(path) as f:
                return {k: f[k] for k in METRICS}
    res = simulate_trials(problem, n, stds, trials, seed)
    if path is not None:
        buf = io.BytesIO()
        np.savez(buf, **res)
        paths.atomic_write(path, buf.getvalue())
        log.info("cached %s", path)
    return res


def _resolve_cache(cache) -> Path | None:
    if cache is None or cache is False:
        return None
    return paths.cache_dir() / "simulation" if cache is True else Path(cache)


def run_grid(datasets: Iterable, sizes: Iterable[int] = SIZES, stds: Sequence[float] = STDS,
             trials: int = 1000, pairing: str = "architecture", seed: int = 0, progress: bool = True,
             cache=True, n_jobs: int = 1, aggregate: bool = True) -> pd.DataFrame:
    """The simulation grid: datasets x sizes x stds x trials.

    Each (dataset, n) cell is computed once and cached (written atomically); a rerun loads the
    cells already done and computes the rest.

    Parameters
    ----------
    datasets : iterable of str or SelectionProblem
        Dataset names (``'<name>@<image>'`` allowed, see :func:`selection_problem`) or problems.
    sizes : iterable of int
        Clipped to each dataset's architectures (column ``n_used``).
    stds, trials, seed
        As in :func:`simulate_trials`.
    pairing : str
        ``'architecture'`` or ``'sorted'`` (for names; a problem keeps its own).
    progress : bool
        Show a tqdm bar over cells.
    cache : bool or path-like
        True: ``paths.cache_dir()/simulation``; False/None: no cache; a path: that folder.
    n_jobs : int
        Worker processes over cells (joblib); 1 runs in this process.
    aggregate : bool
        One row per (dataset, n, std) with means and stds over trials (``<metric>_sd``), else
        one row per (dataset, n, trial, std).

    Returns
    -------
    pandas.DataFrame
        Columns dataset, pairing, n, n_used, std, then the metrics.
    """
    if pairing not in PAIRINGS:
        raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"n_jobs must be an integer >= 1, got {n_jobs!r}")
    cells = grid_cells(datasets, sizes, pairing)
    stds = tuple(_check_std(s) for s in stds)
    for problem, _, used in cells:
        _check_run(problem, used, stds, trials, seed)
    cache_path = _resolve_cache(cache)
    jobs = [(problem, used, stds, trials, seed, cache_path) for problem, _, used in cells]
    results = _run_cells(jobs, progress, n_jobs)
    frames = [_cell_frame(res, problem, n, used, stds, aggregate)
              for (problem, n, used), res in zip(cells, results)]
    return pd.concat(frames, ignore_index=True)


def _run_cells(jobs: list, progress: bool, n_jobs: int) -> list[dict]:
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc="simulation cells", disable=not progress)
    if n_jobs == 1:
        out = []
        for job in jobs:
            bar.set_postfix_str(f"{job[0].name} n={job[1]}")
            out.append(_cell(*job))
            bar.update()
    else:
        from joblib import Parallel, delayed

        out = []
        for res in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(_cell)(*j) for j in jobs):
            out.append(res)
            bar.update()
    bar.close()
    return out


def _cell_frame(res: dict, problem: SelectionProblem, n: int, used: int, stds,
                aggregate: bool) -> pd.DataFrame:
    trials = res["mra_all"].shape[0]
    head = {"dataset": problem.name, "pairing": problem.pairing, "n": n, "n_used": used}
    if not aggregate:
        frame = pd.DataFrame({k: v.ravel() for k, v in res.items()})
        frame.insert(0, "std", np.tile(stds, trials))
        frame.insert(0, "trial", np.repeat(np.arange(trials), len(stds)))
        for i, (k, v) in enumerate(head.items()):
            frame.insert(i, k, v)
        return frame
    rows = {**head, "std": list(stds), "trials": trials}
    for k, v in res.items():
        rows[k] = np.nanmean(v, axis=0)
        rows[f"{k}_sd"] = np.nanstd(v, axis=0)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- beyond the paper


def predictor_selection(problem: SelectionProblem, predictor: str, n_train: int, n: int,
                        trials: int = 10, seed: int = 0, **params) -> pd.DataFrame:
    """The selection driven by a trained predictor instead of simulated deviations.

    Per trial: ``n_train`` architectures train the predictor (``make_predictor(predictor,
    'nb201', random_state=seed + trial)``, fit on z-scored hardware values), a subset of ``n``
    others is predicted, and the subset is selected on the predictions (:func:`select`).

    Returns
    -------
    pandas.DataFrame
        One row per trial: predictor, n_train, n, trial and every name of :data:`METRICS`.
    """
    from .predictors import make_predictor

    if problem.pairing != "architecture":
        raise InputError("real predictors need pairing='architecture' (the quirk pairs unrelated values)")
    if not 1 <= n_train < problem.n_archs or not 2 <= n <= problem.n_archs - n_train:
        raise InputError(f"need 1 <= n_train and 2 <= n with n_train + n <= {problem.n_archs}, "
                         f"got n_train={n_train}, n={n}")
    rows = []
    for t in range(trials):
        perm = _rng(seed, problem.name + "/predictor", n, t).permutation(problem.n_archs)
        train, cand = perm[:n_train], np.sort(perm[n_train:n_train + n])
        model = make_predictor(predictor, "nb201", random_state=seed + t, **params)
        model.fit(problem.A[train], problem.hw[train])
        pred = np.asarray(model.predict(problem.A[cand]), dtype=np.float64)
        sel = select(problem.acc[cand], problem.hw[cand], pred)
        rows.append({"dataset": problem.name, "predictor": predictor, "n_train": n_train, "n": n,
                     "trial": t, **sel.metrics})
    return pd.DataFrame(rows)


def run_predictor_grid(datasets: Iterable[str], predictors: Sequence[str], train_sizes: Sequence[int],
                       n: int, trials: int = 10, seed: int = 0, progress: bool = True,
                       cache=True) -> pd.DataFrame:
    """:func:`predictor_selection` over datasets x predictors x training sizes, cached per cell.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, predictor, n_train, trial); see :func:`predictor_selection`.
    """
    from tqdm import tqdm

    cache_path = _resolve_cache(cache)
    cells = [(d, p, k) for d in datasets for p in predictors for k in train_sizes]
    frames = []
    for name, predictor, n_train in tqdm(cells, desc="predictor cells", disable=not progress):
        problem = selection_problem(name, "architecture")
        key = hashlib.sha256(json.dumps([VERSION, name, problem.checksum, predictor, n_train, n, trials,
                                         seed]).encode()).hexdigest()[:16]
        path = None if cache_path is None else \
            cache_path / f"predictor__{name.replace('@', '_at_')}__{predictor}__{n_train}__{key}.csv"
        if path is not None and path.exists():
            frames.append(pd.read_csv(path))
            continue
        frame = predictor_selection(problem, predictor, n_train, n, trials, seed)
        if path is not None:
            paths.atomic_write(path, frame.to_csv(index=False))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def equal_tau(real: pd.DataFrame, grid: pd.DataFrame) -> pd.DataFrame:
    """Real predictors next to the simulation at the same Kendall tau.

    Parameters
    ----------
    real : DataFrame
        Rows of :func:`run_predictor_grid`.
    grid : DataFrame
        Aggregated :func:`run_grid` rows (architecture pairing) with the same datasets and ``n``.

    Returns
    -------
    DataFrame
        Per (dataset, predictor, n_train): the real mean Kendall tau, MRA_all and MRA_pareto, and
        the simulation's MRA interpolated (in tau) at that Kendall tau (``sim_mra_all``,
        ``sim_mra_pareto``; NaN outside the simulated range).
    """
    means = real.groupby(["dataset", "predictor", "n_train", "n"], as_index=False)[
        ["kendalltau", "mra_all", "mra_pareto", "hv_selected", "hv_true"]].mean()
    out = []
    for row in means.itertuples(index=False):
        curve = grid[(grid["dataset"] == row.dataset) & (grid["n_used"] == row.n)].sort_values("kendalltau")
        sim_vals = {f"sim_{k}": float(np.interp(row.kendalltau, curve["kendalltau"], curve[k],
                                                left=np.nan, right=np.nan)) if len(curve) else np.nan
                    for k in ("mra_all", "mra_pareto", "std")}
        out.append({**row._asdict(), **sim_vals})
    return pd.DataFrame(out)


def live_equivalent_table(live: pd.DataFrame, grid: pd.DataFrame, mean: bool = True) -> pd.DataFrame:
    """For each dataset, pairing and std: the live-measured subset size whose true front matches
    the hypervolume of selecting among all architectures under predictions at that std.

    Parameters
    ----------
    live : DataFrame
        Aggregated :func:`run_grid` rows at std 0 over many sizes (the live-measurement curve).
    grid : DataFrame
        Aggregated :func:`run_grid` rows whose largest size holds every architecture.
    mean : bool
        Also add rows ``dataset='mean over datasets'``: the same question asked of the
        hypervolumes averaged over datasets (by requested size), as the paper averages.

    Returns
    -------
    DataFrame
        Columns dataset, pairing, std, kendalltau, n_all, hv_all (HV of predicting all), n_live.
    """
    frames = []
    for (name, pairing), g in grid.groupby(["dataset", "pairing"], sort=False):
        curve = live[(live["dataset"] == name) & (live["pairing"] == pairing) & (live["std"] == 0)]
        frames.append(_live_rows(name, pairing, curve, g[g["n"] == g["n"].max()]))
    if mean:
        for pairing, g in grid.groupby("pairing", sort=False):
            curve = live[(live["pairing"] == pairing) & (live["std"] == 0)].groupby("n", as_index=False)[
                ["n_used", "hv_true"]].mean()
            full = g[g["n"] == g["n"].max()].groupby("std", as_index=False)[
                ["kendalltau", "n_used", "hv_selected"]].mean()
            frames.append(_live_rows("mean over datasets", pairing, curve, full))
    return pd.concat(frames, ignore_index=True)


def _live_rows(name: str, pairing: str, curve: pd.DataFrame, full: pd.DataFrame) -> pd.DataFrame:
    curve = curve.sort_values("n_used")
    return pd.DataFrame({
        "dataset": name, "pairing": pairing, "std": full["std"].to_numpy(),
        "kendalltau": full["kendalltau"].to_numpy(), "n_all": full["n_used"].to_numpy(),
        "hv_all": full["hv_selected"].to_numpy(),
        "n_live": live_equivalent(curve["n_used"], curve["hv_true"], full["hv_selected"])})


def live_equivalent(sizes: Sequence[int], hv_live: Sequence[float], hv_target) -> np.ndarray:
    """How many architectures measured live reach a given hypervolume.

    Interpolates ``log(n)`` against the mean true-front HV of ``n`` live-measured architectures
    (monotone in ``n``) at each target HV, e.g. the HV reached by predicting all architectures
    at some Kendall tau.

    Parameters
    ----------
    sizes : sequence of int, increasing
    hv_live : sequence of float
        Mean HV of the true front of ``sizes[i]`` architectures.
    hv_target : float or array_like

    Returns
    -------
    ndarray
        Equivalent live sizes; NaN outside the measured range.
    """
    sizes, hv_live = np.asarray(sizes, dtype=np.float64), np.asarray(hv_live, dtype=np.float64)
    hv_live = np.maximum.accumulate(hv_live)          # means of finite samples: enforce monotonicity
    target = np.atleast_1d(np.asarray(hv_target, dtype=np.float64))
    for end in (hv_live[0], hv_live[-1]):          # rounding must not push an end point outside
        target = np.where(np.isclose(target, end, rtol=1e-9, atol=0.0), end, target)
    out = np.exp(np.interp(target, hv_live, np.log(sizes), left=np.nan, right=np.nan))
    return out
