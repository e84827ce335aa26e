"""The simulation grid: datasets x subset sizes x deviation stds x trials, each (dataset, n) cell
computed once and kept in the results store (:mod:`hwlib.store`), and the means of one cell for the
command line (``hwlib simulate``).
"""

from __future__ import annotations

import logging
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store import Store, cell_key, default_store
from .deviations import STDS, _check_std
from .problem import PAIRINGS, SelectionProblem, selection_problem
from .selection import METRICS
from .trials import REFERENCES, _check_run, simulate_trials

__all__ = ["SIZES", "VERSION", "simulate_means", "grid_cells", "grid_table", "grid_params", "resolve_store", "run_grid"]

log = logging.getLogger(__name__)

#: Subset sizes of the paper's grid (15625 is clipped to the architectures a dataset has).
SIZES = (100, 500, 1000, 2000, 5000, 15625)
#: Bump when the meaning of cached results changes.
VERSION = "2"


def simulate_means(dataset: str, n: int, std: float, trials: int, pairing: str = "architecture",
                   seed: int = 0, reference: str = "subset") -> dict:
    """Means over ``trials`` selections of ``n`` architectures of ``dataset`` at deviation ``std``
    (what ``hwlib simulate`` prints).

    The values equal the ``std`` row of :func:`run_grid` with the same seed and reference.

    Returns
    -------
    dict
        ``kendalltau, mra_all, mra_pareto, hv_true, hv_selected, hv_verified`` (MRA in percentage
        points), plus ``hv_predicted``, the mean set sizes and the parameters.

    Raises
    ------
    InputError
        For n outside 2..(architectures of the dataset), std < 0, trials < 1, an unknown pairing
        or reference.
    """
    problem = selection_problem(dataset, pairing)
    res = simulate_trials(problem, n, [std], trials, seed, reference=reference)
    out: dict = {k: float(np.nanmean(v[:, 0])) for k, v in res.items()}
    out.update(dataset=dataset, n=int(n), std=float(std), trials=int(trials), pairing=pairing, seed=int(seed),
               reference=reference)
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


def resolve_store(cache) -> Store | None:
    """The results store behind a ``cache`` argument: True, the project's (:func:`hwlib.store.default_store`:
    the committed results, then the local cache); False or None, none; a :class:`hwlib.store.Store`,
    itself; a path, a store written there."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return default_store()
    return cache if isinstance(cache, Store) else Store(cache)


def grid_table(problem: SelectionProblem) -> str:
    """The store table of a problem's grid cells."""
    return f"simulation/{problem.name}"


def grid_params(problem: SelectionProblem, n: int, stds, trials: int, seed: int, reference: str) -> dict:
    """Everything that determines one grid cell: its store key hashes these, and they are stored beside it."""
    return {"version": VERSION, "dataset": problem.name, "checksum": problem.checksum, "pairing": problem.pairing,
            "n": int(n), "stds": [float(s) for s in stds], "trials": int(trials), "seed": int(seed),
            "reference": reference}


def _cell(problem: SelectionProblem, n: int, stds, trials: int, seed: int, reference: str,
          store: Store | None) -> dict:
    """Per-trial results of one grid cell, from the store when there (else computed and stored)."""
    if store is not None:
        params = grid_params(problem, n, stds, trials, seed, reference)
        key = cell_key("simulation", params)
        found = store.get_arrays(grid_table(problem), key)
        if found is not None and set(METRICS) <= set(found):
            return {k: found[k] for k in METRICS}
    res = simulate_trials(problem, n, stds, trials, seed, reference=reference)
    if store is not None:
        path = store.put_arrays(grid_table(problem), key, params, res)
        log.info("stored %s", path)
    return res


def run_grid(datasets: Iterable, sizes: Iterable[int] = SIZES, stds: Sequence[float] = STDS,
             trials: int = 1000, pairing: str = "architecture", seed: int = 0, progress: bool = True,
             cache=True, n_jobs: int = 1, aggregate: bool = True, reference: str = "subset") -> pd.DataFrame:
    """The simulation grid: datasets x sizes x stds x trials.

    Each (dataset, n) cell is computed once and kept in the results store (written atomically); a
    rerun loads the cells already done and computes the rest.

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
    cache : bool, path-like or hwlib.store.Store
        Where cells are kept (:func:`resolve_store`): True, the project's results store (table
        ``simulation/<dataset>``, per-trial arrays with their parameters beside them); False/None,
        nowhere; a path, a store there.
    n_jobs : int
        Worker processes over cells (joblib); 1 runs in this process.
    aggregate : bool
        One row per (dataset, n, std) with means and stds over trials (``<metric>_sd``), else
        one row per (dataset, n, trial, std).
    reference : str
        Hypervolume reference over the ``'subset'`` (the released code) or the ``'dataset'``
        (:data:`hwlib.simulation.trials.REFERENCES`).

    Returns
    -------
    pandas.DataFrame
        Columns dataset, pairing, n, n_used, std, then the metrics, then reference.
    """
    if pairing not in PAIRINGS:
        raise InputError(f"unknown pairing {pairing!r}; one of {', '.join(PAIRINGS)}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"n_jobs must be an integer >= 1, got {n_jobs!r}")
    if reference not in REFERENCES:
        raise InputError(f"unknown reference {reference!r}; one of {', '.join(REFERENCES)}")
    cells = grid_cells(datasets, sizes, pairing)
    stds = tuple(_check_std(s) for s in stds)
    for problem, _, used in cells:
        _check_run(problem, used, stds, trials, seed)
    store = resolve_store(cache)
    jobs = [(problem, used, stds, trials, seed, reference, store) for problem, _, used in cells]
    results = _run_cells(jobs, progress, n_jobs)
    frames = [_cell_frame(res, problem, n, used, stds, aggregate)
              for (problem, n, used), res in zip(cells, results)]
    return pd.concat(frames, ignore_index=True).assign(reference=reference)


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
