"""The study's predictor experiments: one evaluation, the cached grid, and Table 1.

The unit of work is a *cell* (dataset, predictor, parameters, train size, seed); its record (every
metric of :mod:`hwlib.metrics`, fit and query time) lives in the results store
(:mod:`hwlib.store`), table ``predictors/<dataset>/<predictor>``, under a key that hashes the
cell's parameters and the data checksum; :func:`run_study` computes only the cells missing there.
Cells of one (dataset, predictor, train size) whose regressor offers ``fit_predict_seeds`` (the
torch models) are trained together, one stacked model for all seeds, bit for bit the same as one
at a time. The protocol's splits and sizes are in :mod:`hwlib.protocol`.

>>> evaluate("cifar10-raspi4_latency", "ridge", 124, seeds=range(5))["kendalltau"]  # doctest: +SKIP
0.77...
"""

from __future__ import annotations

import logging
import numbers
import time
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .metrics import METRIC_NAMES, evaluate_predictions
from .protocol import nominal_train_sizes, split, test_set_key, test_set_size
from .store import Store, cell_key

__all__ = ["train_sizes_for", "evaluate", "run_cells", "run_study", "predictor_key", "group_keys",
           "predictor_table", "summarize_tau", "load_results", "at_defaults", "TIMING_NAMES"]

log = logging.getLogger(__name__)

#: Numbers kept per run besides the metrics.
TIMING_NAMES = ("fit_time", "query_time")
# ----------------------------------------------------------------------------- one cell group


def _check_request(ds, predictor: str, train_size: int) -> Any:
    """The predictor's spec; raises :class:`InputError` for a bad predictor, space or size."""
    from .predictors import UnsupportedSpace, get_spec

    spec = get_spec(predictor)
    if ds.search_space not in spec.spaces:
        raise UnsupportedSpace(f"predictor {predictor!r} does not support {ds.name} (search space "
                               f"{ds.search_space}; it supports {', '.join(spec.spaces)})")
    n_test = test_set_size(ds.search_space, ds.n_archs)
    pool = ds.n_archs - n_test
    if min(n_test, pool) < 1:
        raise InputError(f"{ds.name} has {ds.n_archs} architecture(s): too few to train and test on")
    if isinstance(train_size, bool) or not isinstance(train_size, numbers.Integral):
        raise InputError(f"train size must be a whole number, got {train_size!r}")
    if not 1 <= train_size <= pool:
        raise InputError(f"train size {train_size} out of range for {ds.name}: 1 to {pool} "
                         f"({ds.n_archs} architectures minus {n_test} for testing)")
    return spec


def _fit_one(spec, space: str, X_tr, y_tr, X_te, seed: int, params: dict, hpo_budget, hpo_max_iter):
    """Fit one model (with HPO when asked and tuned); returns (predictions, record extras)."""
    from .hpo import fit_tuned, is_tunable
    from .predictors import make_regressor

    t0 = time.process_time()
    model = make_regressor(spec.name, space, random_state=seed, **params)
    extra: dict[str, Any] = {}
    if hpo_budget is not None and spec.tuned and is_tunable(model):
        model, result = fit_tuned(model, X_tr, y_tr, time_budget=hpo_budget, max_iter=hpo_max_iter,
                                  random_state=seed)
        extra = {"hpo_n_tried": result.n_tried, "hpo_best_params": result.best_params}
    else:
        model.fit(X_tr, y_tr)
    t1 = time.process_time()
    pred = model.predict(X_te)
    t2 = time.process_time()
    if spec.name == "lut":
        extra["n_measured"] = int(model.n_measured_)
    return pred, {"fit_time": t1 - t0, "query_time": t2 - t1, **extra}


def _batched(spec, hpo_budget, n_seeds: int) -> bool:
    """Whether to train the seeds together: a stacking regressor, several seeds, no HPO."""
    if n_seeds < 2 or (hpo_budget is not None and spec.tuned):
        return False
    return hasattr(spec.regressor_class(), "fit_predict_seeds")


def run_cells(ds, predictor: str, train_size: int, seeds: Sequence[int], params: dict | None = None,
              hpo_budget: float | None = None, hpo_max_iter: int = 50, X: np.ndarray | None = None
              ) -> list[dict]:
    """Fit and score ``predictor`` on ``ds`` for each seed; one flat record per seed.

    The lookup table measures its own base and neighbours (:mod:`hwlib.predictors.lut`) among
    all architectures, whatever the training set; it is scored on each seed's test set.
    Seeds are trained together when the regressor offers ``fit_predict_seeds`` and no HPO runs;
    then ``fit_time`` and ``query_time`` are the stack's training and prediction times divided
    by the seeds. (Stacked cells committed before query times were recorded this way, on
    2026-12-02, hold the prediction in ``fit_time`` and no ``query_time``.)

    ``fit_time`` and ``query_time`` are CPU seconds of this process (:func:`time.process_time`,
    all its threads), not wall time: the cost of a cell, whether the machine is busy with other
    work or the run is paused, as long as the process computes one cell at a time (as the study
    does: serially, or one cell per worker process).

    Parameters
    ----------
    ds : hwlib.data.Dataset
    predictor : str
    train_size : int
    seeds : sequence of int
    params : dict, optional
        Constructor parameters of the regressor.
    hpo_budget : float or None
        Seconds of hyperparameter search per fit (tuned predictors only); None: defaults.
    hpo_max_iter : int
        Most candidates the search scores.
    X : ndarray of shape (n_archs, d), optional
        ``ds.A`` already encoded with the predictor's encoding.
    """
    from .encodings import encode

    spec = _check_request(ds, predictor, train_size)
    if hpo_budget is not None and not (isinstance(hpo_budget, numbers.Real) and hpo_budget > 0):
        raise InputError("hpo_budget must be a positive number of seconds (inf: no time limit; None: defaults), "
                         f"got {hpo_budget!r}")
    params = dict(params or {})
    X = encode(ds.A, spec.encoding, ds.search_space) if X is None else X
    y, n_test = ds.y_z, test_set_size(ds.search_space, ds.n_archs)
    splits = [split(ds.n_archs, s, n_test) for s in seeds]
    base = {"dataset": ds.name, "predictor": predictor, "train_size": int(train_size)}
    if _batched(spec, hpo_budget, len(seeds)):
        return _run_stacked(spec, ds.search_space, X, y, splits, seeds, train_size, params, base)
    records = []
    for seed, (test, pool) in zip(seeds, splits):
        train = np.arange(ds.n_archs) if spec.name == "lut" else pool[:train_size]
        pred, extra = _fit_one(spec, ds.search_space, X[train], y[train], X[test], int(seed),
                               params, hpo_budget, hpo_max_iter)
        records.append({**base, "seed": int(seed), **evaluate_predictions(y[test], pred), **extra})
    return records


def _run_stacked(spec, space, X, y, splits, seeds, train_size, params, base) -> list[dict]:
    cls = spec.regressor_class()
    if "search_space" in cls().get_params():  # as make_regressor does for single fits
        params = {"search_space": space, **params}
    train = np.stack([pool[:train_size] for _, pool in splits])
    test = np.stack([t for t, _ in splits])
    times: dict[str, float] = {}
    pred = cls.fit_predict_seeds(X[train], y[train], X[test], [int(s) for s in seeds], times=times, **params)
    fit, query = times["fit"] / len(seeds), times["query"] / len(seeds)
    return [{**base, "seed": int(s), **evaluate_predictions(y[t], p), "fit_time": fit,
             "query_time": query, "batched_seeds": len(seeds)} for s, t, p in zip(seeds, test, pred)]


def _mean(values: list) -> float | None:
    """Mean of the defined values (None and NaN left out); None if there are none."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return float(np.mean(vals)) if vals else None


def _json_safe(record: dict) -> dict:
    """NaN (an undefined correlation) -> None, so that the record is valid JSON."""
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}


def evaluate(dataset: str, predictor: str, train_size: int, seeds: Iterable[int] = range(5),
             hpo_budget: float | None = None, hpo_max_iter: int = 50, params: dict | None = None
             ) -> dict:
    """Evaluate a predictor on protocol splits, as ``hwlib evaluate`` prints it.

    Returns
    -------
    dict
        ``dataset``, ``predictor``, ``train_size``, ``seeds``; the mean over seeds of every metric
        (:data:`hwlib.metrics.METRIC_NAMES`) and of ``fit_time`` and ``query_time`` under its
        own name; ``runs``: the per-seed records. A metric undefined in a run (a correlation of
        constant predictions) is None there and left out of the mean (None if undefined in all);
        the output is valid JSON.

    Raises
    ------
    InputError
        Unknown predictor or dataset, a predictor on a search space it does not support, a train
        size outside 1..pool size, no seeds.
    """
    from .data import load_dataset

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("no seeds given")
    ds = load_dataset(dataset)
    runs = [_json_safe(r) for r in run_cells(ds, predictor, train_size, seeds, params=params,
                                             hpo_budget=hpo_budget, hpo_max_iter=hpo_max_iter)]
    out: dict[str, Any] = {"dataset": ds.name, "predictor": predictor, "train_size": int(train_size),
                           "seeds": seeds, "hpo_budget": hpo_budget}
    for name in METRIC_NAMES + TIMING_NAMES:
        out[name] = _mean([r[name] for r in runs])
    out["runs"] = runs
    return out


# ----------------------------------------------------------------------------- the cached grid


def predictor_table(dataset: str, predictor: str) -> str:
    """The store table holding the cells of ``predictor`` on ``dataset``."""
    return f"predictors/{dataset}/{predictor}"


def predictor_key(dataset: str, checksum: str, predictor: str, params: dict, train_size: int, seed: int,
                  hpo_budget: float | None, split: dict | None = None) -> str:
    """The store key of one predictor cell (see :func:`hwlib.store.cell_key`); ``split``: what
    :func:`hwlib.protocol.test_set_key` adds for the dataset."""
    return cell_key("predictor", {"dataset": dataset, "checksum": checksum, "predictor": predictor,
                                  "params": params, "train_size": int(train_size), "seed": int(seed),
                                  "hpo_budget": hpo_budget, **(split or {})})


def group_keys(ds, predictor: str, params: dict, train_size: int, seeds: Iterable[int],
               hpo_budget: float | None) -> dict[int, str]:
    """The store key of each seed's cell of one (dataset, predictor, size): :func:`predictor_key`."""
    split_key = test_set_key(ds.search_space, ds.n_archs)
    return {int(s): predictor_key(ds.name, ds.checksum, predictor, params, train_size, s, hpo_budget, split_key)
            for s in seeds}


#: Columns a predictor table is sorted by (then by key).
SORT_COLUMNS = ("train_size", "seed", "hpo_budget", "params")


def run_study(datasets: Sequence[str], predictors: Sequence[str], train_sizes: Sequence[int] | None = None,
              seeds: Iterable[int] = range(50), params: dict[str, dict] | None = None,
              hpo_budget: float | None = None, hpo_max_iter: int = 50, store: Store | None = None,
              progress: bool = True, limits: dict[str, tuple[Iterable[int], int | None]] | None = None,
              compute: bool = True, n_jobs: int = 1) -> pd.DataFrame:
    """Run the grid datasets x predictors x train sizes x seeds, computing only missing cells.

    Parameters
    ----------
    datasets, predictors : sequences of names
        A predictor that does not support a dataset's search space is skipped there (as in the
        paper: graph and path encodings only on cells).
    train_sizes : sequence of int, optional
        Default: the protocol's sizes of each dataset's benchmark. Sizes are clipped at the
        pool size of each dataset; the column ``nominal_train_size`` keeps the size asked for,
        so that datasets of different sizes line up when averaged.
    seeds : iterable of int
    params : dict predictor -> constructor parameters, optional
    hpo_budget, hpo_max_iter : see :func:`run_cells`
    store : hwlib.store.Store, optional
        Default :func:`hwlib.store.default_store` (reads the committed results, writes the cache).
    progress : bool
        Show a tqdm bar over cell groups.
    limits : dict predictor -> (seeds, largest training size), optional
        Run these predictors on other seeds and only up to that (nominal) training size (None:
        all sizes): the slow-to-train ones, where the whole grid would take too long.
    compute : bool
        False: return only the cells already stored, compute nothing.
    n_jobs : int
        Worker processes computing the missing groups (1: this process). A record does not
        depend on the process that computes it (one thread each, as here).

    Returns
    -------
    DataFrame
        One row per cell: dataset, predictor, train_size, seed, the metrics, fit_time,
        query_time, and extras (HPO, batching).
    """
    from .store import default_store

    if not (isinstance(n_jobs, numbers.Integral) and n_jobs >= 1):
        raise InputError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    store = store or default_store()
    params = dict(params or {})
    groups = plan_groups(datasets, predictors, train_sizes, seeds, limits)
    if compute and n_jobs > 1:
        _compute_in_workers(store, groups, params, hpo_budget, hpo_max_iter, n_jobs, progress)
    encoded: dict[tuple[str, str], np.ndarray] = {}
    rows = []
    for ds, predictor, nominal_size, n, group_seeds in _progress(groups, progress and compute):
        done = run_group(store, ds, predictor, n, group_seeds, params.get(predictor, {}), hpo_budget,
                         hpo_max_iter, encoded, compute=compute)
        rows += [{**done[s], "nominal_train_size": nominal_size} for s in group_seeds if s in done]
    return _tidy(pd.DataFrame(rows))


def plan_groups(datasets, predictors, train_sizes=None, seeds: Iterable[int] = range(50),
                limits: dict | None = None) -> list[tuple]:
    """(dataset, predictor, nominal size, size clipped at the pool, seeds) of every supported group.

    ``limits`` maps a predictor to (its seeds, its largest nominal size or None) (see
    :func:`run_study`).
    """
    from .data import load_dataset
    from .predictors import get_spec

    seeds = [int(s) for s in seeds]
    runs = {p: (seeds, None) for p in predictors}
    runs.update({p: ([int(s) for s in lim_seeds], max_size) for p, (lim_seeds, max_size)
                 in (limits or {}).items() if p in runs})
    groups = []
    for name in datasets:
        ds = load_dataset(name)
        pool = ds.n_archs - test_set_size(ds.search_space, ds.n_archs)
        nominal = train_sizes if train_sizes is not None else nominal_train_sizes(ds.search_space)
        for predictor in predictors:
            if ds.search_space not in get_spec(predictor).spaces:
                log.info("skipping %s on %s (search space %s)", predictor, name, ds.search_space)
                continue
            group_seeds, max_size = runs[predictor]
            groups += [(ds, predictor, int(s), min(int(s), pool), group_seeds) for s in nominal
                       if max_size is None or int(s) <= max_size]
    return groups


def run_group(store: Store, ds, predictor: str, n: int, seeds: list[int], params: dict,
              hpo_budget=None, hpo_max_iter: int = 50, encoded: dict | None = None,
              compute: bool = True, run: str | None = None) -> dict[int, dict]:
    """Records of one (dataset, predictor, size) for ``seeds``: stored ones read, the rest run and stored.

    ``run`` is the provenance id written with new records (default: registered in the store now).
    """
    keys = group_keys(ds, predictor, params, n, seeds, hpo_budget)
    table = predictor_table(ds.name, predictor)
    stored = store.get(table, keys.values())
    done = {s: stored[k] for s, k in keys.items() if k in stored}
    todo = [s for s in seeds if s not in done]
    if not todo or not compute:
        return done
    X = _encoded(ds, predictor, encoded if encoded is not None else {})
    run = run or store.register_run()
    new = []
    for rec in run_cells(ds, predictor, n, todo, params, hpo_budget, hpo_max_iter, X=X):
        new.append({"key": keys[rec["seed"]], "run": run, "checksum": ds.checksum, "params": params,
                    "hpo_budget": hpo_budget, **_json_safe(rec)})
        done[rec["seed"]] = new[-1]
    store.put(table, new, sort_by=SORT_COLUMNS)
    return done


def _compute_in_workers(store: Store, groups: list[tuple], params: dict, hpo_budget, hpo_max_iter: int,
                        n_jobs: int, progress: bool) -> None:
    """Compute and store the missing cells of ``groups`` on ``n_jobs`` worker processes, the
    largest training sizes first (so that the last groups to finish are short ones); the workers
    know the datasets registered here (one's own measurements)."""
    import concurrent.futures as cf

    from .data import worker_pool

    todo = []
    for ds, predictor, _, n, seeds in groups:
        keys = group_keys(ds, predictor, params.get(predictor, {}), n, seeds, hpo_budget)
        stored = store.get(predictor_table(ds.name, predictor), keys.values())
        missing = [s for s, k in keys.items() if k not in stored]
        if missing:
            todo.append((ds, predictor, n, missing, keys))
    if not todo:
        return
    todo.sort(key=lambda t: -t[2])
    run = store.register_run()
    with worker_pool(min(n_jobs, len(todo))) as pool:
        futures = {pool.submit(worker_cells, ds.name, predictor, n, missing, params.get(predictor, {}),
                               hpo_budget, hpo_max_iter): (ds, predictor, n, keys)
                   for ds, predictor, n, missing, keys in todo}
        for future in _progress(cf.as_completed(futures), progress, total=len(futures)):
            ds, predictor, n, keys = futures[future]
            p = params.get(predictor, {})
            store.put(predictor_table(ds.name, predictor),
                      [{"key": keys[r["seed"]], "run": run, "checksum": ds.checksum, "params": p,
                        "hpo_budget": hpo_budget, **r} for r in future.result()], sort_by=SORT_COLUMNS)


def worker_cells(dataset: str, predictor: str, n: int, seeds: Sequence[int], params: dict | None = None,
                 hpo_budget: float | None = None, hpo_max_iter: int = 50) -> list[dict]:
    """:func:`run_cells` by dataset name, as a worker process runs it (one BLAS and torch thread);
    JSON-safe records."""
    from threadpoolctl import threadpool_limits

    from .data import load_dataset

    with threadpool_limits(1):
        return [_json_safe(r) for r in run_cells(load_dataset(dataset), predictor, n, list(seeds), params,
                                                 hpo_budget, hpo_max_iter)]


def _encoded(ds, predictor: str, cache: dict) -> np.ndarray:
    from .encodings import encode
    from .predictors import get_spec

    encoding = get_spec(predictor).encoding
    if (ds.name, encoding) not in cache:
        cache[(ds.name, encoding)] = encode(ds.A, encoding, ds.search_space)
    return cache[(ds.name, encoding)]


#: Columns that describe how a record was made rather than what it measured.
BOOKKEEPING = ("key", "run", "checksum", "params", "hpo_budget")


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Columns in a fixed order: cell, metrics, timings, then any extras (sorted); no bookkeeping."""
    first = ["dataset", "predictor", "train_size", "nominal_train_size", "seed",
             *METRIC_NAMES, *TIMING_NAMES]
    cols = [c for c in first if c in df] + sorted(c for c in df if c not in first and c not in BOOKKEEPING)
    return df[cols]


def train_sizes_for(ds) -> list[int]:
    """The protocol's training sizes of dataset ``ds``, clipped at its pool size."""
    from .protocol import train_sizes

    return train_sizes(ds.search_space, ds.n_archs)


def _progress(items: Iterable, enabled: bool, total: int | None = None):
    if not enabled:
        return items
    from tqdm.auto import tqdm
    return tqdm(items, desc="cells", unit="group", leave=False, total=total)


def load_results(store: Store | None = None, datasets: Sequence[str] | None = None,
                 defaults_only: bool = False) -> pd.DataFrame:
    """Every stored predictor record (whatever grid made it), optionally of some datasets only.

    ``defaults_only``: only the records of predictors at their defaults (:func:`at_defaults`),
    not the variants a chapter stores beside them (BOHAMIANN sampled for longer, GCN and BONAS
    trained as the released code did), which share the predictor's name.
    """
    from .store import default_store

    store = store or default_store()
    frames = []
    for table in store.tables("predictors"):
        _, dataset, _ = table.split("/")
        if datasets is None or dataset in datasets:
            frame = store.records(table)
            frames.append(at_defaults(frame) if defaults_only else frame)
    return _tidy(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()


def at_defaults(records: pd.DataFrame) -> pd.DataFrame:
    """The stored records of predictors at their defaults: no constructor ``params`` (a variant
    of the same cell, e.g. ``released_code_quirks``, records them)."""
    if "params" not in records:
        return records
    return records[records["params"].map(_no_params)]


def _no_params(params) -> bool:
    """Whether a record's ``params`` (JSON text as stored, a dict when fresh, or missing) are empty."""
    return params is None or params in ("", "{}", {}) or (isinstance(params, float) and np.isnan(params))


def summarize_tau(results: pd.DataFrame, metric: str = "kendalltau", centred: bool = False) -> pd.DataFrame:
    """Mean ``metric`` per predictor (rows) and train size (columns), over seeds then datasets.

    Columns are the nominal sizes (``nominal_train_size`` when present: a size clipped at a
    smaller dataset's pool counts as the size asked for). With ``centred``, each column has the
    mean over predictors subtracted (the paper's Figure 1, right panels).
    """
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    per_dataset = results.groupby(["dataset", "predictor", size])[metric].mean()
    table = per_dataset.groupby(["predictor", size]).mean().unstack(size)
    table.columns.name = "train_size"
    order = [p for p in results["predictor"].drop_duplicates()]
    table = table.reindex(order)
    return table - table.mean(axis=0) if centred else table
