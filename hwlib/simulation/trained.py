"""The selection driven by trained predictors instead of simulated deviations (beyond the paper),
and the simulation at the same Kendall tau as a yardstick.
"""

from __future__ import annotations

import numbers
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from ..store import cell_key
from .grid import resolve_store
from .problem import SelectionProblem, selection_problem
from .selection import METRICS, select
from .trials import _rng, draw_trial

__all__ = ["VERSION", "ROW_COLUMNS", "predictor_selection", "predictor_trial", "predictor_table",
           "predictor_trial_key", "run_predictor_grid", "equal_tau", "neighbour_pairs", "neighbour_correlation",
           "simulated_neighbour_correlation"]

#: Bump when the meaning of stored predictor-driven selections changes.
VERSION = "3"
#: Columns of a row of :func:`predictor_selection` (the metrics in the order of :attr:`Selection.metrics`).
ROW_COLUMNS = ("dataset", "predictor", "n_train", "n", "trial", *(m for m in METRICS if m != "kendalltau"),
               "kendalltau", "neighbour_corr")


def neighbour_pairs(A: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Pairs of architectures one operation apart.

    Parameters
    ----------
    A : ndarray of int, shape (n, positions)
        Op codes.

    Returns
    -------
    ndarray of int, shape (pairs, 2)
        Row indices ``(i, j)``, ``i < j``, of the rows that differ in exactly one position.
    """
    A = np.asarray(A)
    found = []
    for start in range(0, len(A), chunk):
        diff = (A[start:start + chunk, None, :] != A[None, :, :]).sum(axis=-1)
        i, j = np.nonzero(diff == 1)
        keep = start + i < j
        found.append(np.column_stack([start + i[keep], j[keep]]))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.intp)


def neighbour_correlation(A: np.ndarray, dev: np.ndarray) -> float:
    """Pearson correlation of the deviations of architectures one operation apart.

    Near 0 when errors are independent of the architecture's neighbourhood (the simulated
    deviations: random groups of 15), high when similar cells err alike.

    Parameters
    ----------
    A : ndarray of int, shape (n, positions)
    dev : ndarray, shape (n,)
        Deviations (prediction - truth) of the same architectures.

    Returns
    -------
    float
        NaN with fewer than two pairs or constant deviations.
    """
    pairs = neighbour_pairs(A)
    if len(pairs) < 2:
        return float("nan")
    dev = np.asarray(dev, dtype=np.float64)
    x = np.r_[dev[pairs[:, 0]], dev[pairs[:, 1]]]           # each pair both ways: symmetric
    y = np.r_[dev[pairs[:, 1]], dev[pairs[:, 0]]]
    if np.ptp(x) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def simulated_neighbour_correlation(problem: SelectionProblem, n: int, trials: int, seed: int = 0,
                                    std: float = 0.5) -> float:
    """:func:`neighbour_correlation` of the simulated deviations of the grid's trials (``std``
    scales them and changes no correlation), mean over ``trials``."""
    values = []
    for t in range(trials):
        pos, eps = draw_trial(problem, n, [std], seed, t)
        values.append(neighbour_correlation(problem.A[pos], eps[0]))
    return float(np.mean(values))


def predictor_selection(problem: SelectionProblem, predictor: str, n_train: int, n: int,
                        trials: int = 10, seed: int = 0, **params) -> pd.DataFrame:
    """The selection driven by a trained predictor instead of simulated deviations.

    Per trial: ``n_train`` architectures train the predictor (``make_predictor(predictor,
    'nb201', random_state=seed + trial)``, fit on z-scored hardware values), a subset of ``n``
    others is predicted, and the subset is selected on the predictions (:func:`select`). Each
    trial has its own random stream: trial ``t`` does not depend on how many trials run.

    Returns
    -------
    pandas.DataFrame
        One row per trial: dataset, predictor, n_train, n, trial, every name of :data:`METRICS`,
        and ``neighbour_corr``, the :func:`neighbour_correlation` of the predictor's deviations.
    """
    _check_predictor_run(problem, n_train, n)
    return pd.DataFrame([predictor_trial(problem, predictor, n_train, n, seed, t, **params) for t in range(trials)],
                        columns=ROW_COLUMNS)


def _check_predictor_run(problem: SelectionProblem, n_train: int, n: int) -> None:
    if problem.pairing != "architecture":
        raise InputError("real predictors need pairing='architecture' (the quirk pairs unrelated values)")
    for name, value in (("n_train", n_train), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputError(f"{name} must be a whole number, got {value!r}")
    if not 1 <= n_train < problem.n_archs or not 2 <= n <= problem.n_archs - n_train:
        raise InputError(f"need 1 <= n_train and 2 <= n with n_train + n <= {problem.n_archs}, "
                         f"got n_train={n_train}, n={n}")


def predictor_trial(problem: SelectionProblem, predictor: str, n_train: int, n: int, seed: int, trial: int,
                    **params) -> dict:
    """Trial ``trial`` of :func:`predictor_selection`, as one row (a dict keyed by :data:`ROW_COLUMNS`)."""
    from ..predictors import make_predictor

    perm = _rng(seed, problem.name + "/predictor", n, trial).permutation(problem.n_archs)
    train, cand = perm[:n_train], np.sort(perm[n_train:n_train + n])
    model = make_predictor(predictor, "nb201", random_state=seed + trial, **params)
    model.fit(problem.A[train], problem.hw[train])
    pred = np.asarray(model.predict(problem.A[cand]), dtype=np.float64)
    sel = select(problem.acc[cand], problem.hw[cand], pred)
    return {"dataset": problem.name, "predictor": predictor, "n_train": n_train, "n": n, "trial": trial,
            **sel.metrics, "neighbour_corr": neighbour_correlation(problem.A[cand], pred - problem.hw[cand])}


def predictor_table(dataset: str, predictor: str) -> str:
    """The store table of the trials of ``predictor`` selecting on ``dataset``."""
    return f"simulation_predictors/{dataset}/{predictor}"


def predictor_trial_key(problem: SelectionProblem, predictor: str, n_train: int, n: int, seed: int, trial: int,
                        params: dict) -> str:
    """The store key of one trial of :func:`predictor_selection` (see :func:`hwlib.store.cell_key`)."""
    return cell_key("predictor_selection", {
        "version": VERSION, "dataset": problem.name, "checksum": problem.checksum, "predictor": predictor,
        "params": params, "n_train": int(n_train), "n": int(n), "seed": int(seed), "trial": int(trial)})


def run_predictor_grid(datasets: Iterable[str], predictors: Sequence[str], train_sizes: Sequence[int],
                       n: int, trials: int = 10, seed: int = 0, progress: bool = True,
                       cache=True, **params) -> pd.DataFrame:
    """:func:`predictor_selection` over datasets x predictors x training sizes, each trial kept in
    the results store (table ``simulation_predictors/<dataset>/<predictor>``, one record a trial
    with its parameters and provenance); only missing trials are computed.

    Parameters
    ----------
    cache : bool, path-like or hwlib.store.Store
        See :func:`hwlib.simulation.grid.resolve_store`.
    **params
        Hyperparameters passed to every predictor (part of the key).

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, predictor, n_train, trial); see :func:`predictor_selection`.
    """
    from tqdm import tqdm

    store = resolve_store(cache)
    cells = [(d, p, k) for d in datasets for p in predictors for k in train_sizes]
    rows = []
    for name, predictor, n_train in tqdm(cells, desc="predictor cells", disable=not progress):
        problem = selection_problem(name, "architecture")
        _check_predictor_run(problem, n_train, n)
        rows += _predictor_rows(store, problem, predictor, n_train, n, trials, seed, params)
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    return frame.astype({k: np.float64 for k in ROW_COLUMNS[5:]})


def _predictor_rows(store, problem: SelectionProblem, predictor: str, n_train: int, n: int, trials: int,
                    seed: int, params: dict) -> list[dict]:
    """The rows of one (dataset, predictor, n_train): stored trials read, the others run and stored."""
    keys = [predictor_trial_key(problem, predictor, n_train, n, seed, t, params) for t in range(trials)]
    table = predictor_table(problem.name, predictor)
    stored = store.get(table, keys) if store is not None else {}
    new, rows = [], []
    for t, key in enumerate(keys):
        if key in stored:
            rows.append({c: stored[key][c] for c in ROW_COLUMNS})
            continue
        rows.append(predictor_trial(problem, predictor, n_train, n, seed, t, **params))
        new.append({"key": key, "checksum": problem.checksum, "seed": seed, "params": params, **rows[-1]})
    if new and store is not None:
        run = store.register_run()
        store.put(table, [{**r, "run": run} for r in new], sort_by=("n_train", "n", "seed", "trial"))
    return rows


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
    simulated = set(zip(grid["dataset"], grid["n_used"]))
    lacking = sorted({(d, int(n)) for d, n in zip(means["dataset"], means["n"])} - simulated)
    if lacking:
        raise InputError("the simulation grid has no cells at the size the trained predictors select from: "
                         + ", ".join(f"{d} at n = {n}" for d, n in lacking)
                         + "; simulate that size too (chapter 'Selection simulation': add predictor_n to sizes)")
    out = []
    for row in means.itertuples(index=False):
        curve = grid[(grid["dataset"] == row.dataset) & (grid["n_used"] == row.n)].sort_values("kendalltau")
        sim_vals = {f"sim_{k}": float(np.interp(row.kendalltau, curve["kendalltau"], curve[k],
                                                left=np.nan, right=np.nan))
                    for k in ("mra_all", "mra_pareto", "std")}
        out.append({**row._asdict(), **sim_vals})
    return pd.DataFrame(out)
