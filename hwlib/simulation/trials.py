"""Trials of the selection simulation: one subset of ``n`` architectures per trial, its deviations
at every std, and the scores of each selection (paper Section 5), vectorised over trials.

One *trial* draws a subset ``S`` of ``n`` architectures. For each deviation std ``s`` a simulated
prediction of the z-scored hardware value is ``hw + eps`` (:func:`simulate_deviations`; accuracy
is never perturbed); :mod:`hwlib.simulation.selection` defines the selection and its scores.

Random streams: every (seed, dataset, n, trial[, std]) has its own stream, so results do not
depend on batching, on which other stds are simulated, or on the pairing.

Speed: the dataset is sorted by accuracy once, so a subset drawn as positions is in accuracy order
after sorting integers. Where numba is installed the hot loops are compiled: per (trial, level) one
pass builds the noisy values and keeps the few candidates a running minimum leaves
(:func:`hwlib.simulation.selection.select_batch`), and Kendall tau counts pairs in compiled loops
(:mod:`hwlib.simulation.kendall`). Every result equals, bit for bit, the vectorised numpy path,
which runs when numba is missing; ``bench/bench_simulation.py`` times both against a pymoo reference.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache
from typing import Sequence

import numpy as np

from .. import _jit
from .._jit import jit
from ..errors import InputError
from .deviations import STDS, _blocks, _check_std, mix
from .problem import SelectionProblem
from .selection import METRICS, Selection, _evaluate_batch, evaluate_blocks, select

__all__ = ["REFERENCES", "draw_trial", "simulate_trials", "simulate_selection"]

#: Hypervolume references: 1.1 x the largest hardware value of each subset (the released code), or
#: of all of the dataset's architectures (one fixed reference per dataset).
REFERENCES = ("subset", "dataset")
_ELEMENTS_PER_BATCH = 1 << 21          # trials x levels x n per vectorised batch (~16 MB a float array)


# ----------------------------------------------------------------------------- random inputs


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
        each row's values do not depend on the others (see :func:`hwlib.simulation.deviations.mix`).
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
    if _jit.AVAILABLE:
        sort_draws(pos, block, N, blocks)
    else:
        _sort_draws(pos, block, N, blocks)
    values = np.zeros((len(trials), len(stds), m))
    if noisy:
        level_stds = np.tile(np.asarray(stds)[noisy], len(trials))
        mixed = mix(level_stds, uniforms.reshape(-1, 2 * m + 1), normals.reshape(-1, 2, m), weights)
        values[:, noisy] = mixed.reshape(len(trials), len(noisy), m)
    return pos, blocks, values


def _sort_draws(pos: np.ndarray, block: np.ndarray, N: int, blocks: np.ndarray) -> None:
    """Sort each row of drawn positions ``pos`` (trials, n) in place, and give each point the
    deviation block of its draw: ``blocks[t] = block[order]``."""
    n = pos.shape[1]
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


@jit
def sort_draws(pos, block, N, blocks):
    """:func:`_sort_draws`, compiled: sort each row of drawn positions (distinct, below ``N``) in
    place, and give each point the deviation block of its draw: ``blocks[t] = block[order]``."""
    trials, n = pos.shape
    at = np.zeros(N if 16 * n >= N else 0, dtype=np.intp)
    pos_row, block_row = np.empty(n + 1, dtype=np.intp), np.empty(n + 1, dtype=np.intp)
    for t in range(trials):
        if 16 * n >= N:                  # a large share of the problem: one pass over it
            for i in range(n):
                at[pos[t, i]] = i + 1
            k = 0
            for p in range(N):           # compacted without branches (about half are drawn);
                a = at[p]                # the slot after the last one takes the spare writes
                pos_row[k], block_row[k] = p, block[max(a - 1, 0)]
                at[p] = 0
                k += a > 0
            pos[t], blocks[t] = pos_row[:n], block_row[:n]
        else:
            order = np.argsort(pos[t])
            drawn = pos[t].copy()
            for k in range(n):
                pos[t, k], blocks[t, k] = drawn[order[k]], block[order[k]]


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


# ----------------------------------------------------------------------------- trials


def simulate_trials(problem: SelectionProblem, n: int, stds: Sequence[float] = STDS,
                    trials: int = 1000, seed: int = 0, kendall: bool = True,
                    reference: str = "subset") -> dict[str, np.ndarray]:
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
    reference : str
        Hypervolume reference ``(0, 1.1 x max hw)`` over the ``'subset'`` (the released code) or
        over all of the ``'dataset'``'s architectures (see :data:`REFERENCES`).

    Returns
    -------
    dict of str -> ndarray, shape (trials, len(stds))
        Every name of :data:`METRICS`; MRA in percentage points.
    """
    n, stds, trials, seed = _check_run(problem, n, stds, trials, seed)
    if reference not in REFERENCES:
        raise InputError(f"unknown reference {reference!r}; one of {', '.join(REFERENCES)}")
    batch = max(1, min(trials, _ELEMENTS_PER_BATCH // (len(stds) * n)))
    parts = []
    for start in range(0, trials, batch):
        pos, block, values = _draw_batch(problem, n, stds, seed, range(start, min(start + batch, trials)))
        ref1 = None if reference == "subset" else np.full(len(pos), 1.1 * problem.hw.max())
        if _jit.AVAILABLE:
            parts.append(evaluate_blocks(problem, pos, block, values, kendall, ref1))
        else:
            hw = problem.hw[pos]
            eps = np.take_along_axis(values, block[:, None, :], axis=2)
            parts.append(_evaluate_batch(problem.acc[pos], hw, hw[:, None, :] + eps, kendall, ref1))
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


def simulate_selection(problem: SelectionProblem, n: int, std: float, seed: int = 0,
                       trial: int = 0) -> Selection:
    """Trial ``trial`` of the simulation at one std, as a :class:`Selection` (Figure 3)."""
    n, stds, _, seed = _check_run(problem, n, [std], 1, seed)
    pos, eps = draw_trial(problem, n, stds, seed, trial)
    hw = problem.hw[pos]
    return select(problem.acc[pos], hw, hw + eps[0])
