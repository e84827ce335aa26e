"""The predictor study at full scale: its grid, a plan of what is done, a runner, and a verifier.

The grid of a profile (:mod:`hwlib.profiles`, chapter ``predictors``) is every trained predictor
on every dataset of the study (the five hard datasets of each benchmark, and the project's own
measured devices where at hand), at the protocol's 11 training sizes and 50 seeds; the slow
graph models (GCN and NAO) on fewer seeds and sizes. Its unit of work is a *group*: one
(dataset, predictor, training size) with all its missing seeds, since the torch models train
their seeds stacked.

The full profile's records are committed in ``results/`` (:func:`hwlib.paths.results_dir`);
:func:`run` grows them, cheapest groups first, within a time budget; :func:`plan` says how far
they are and what is left; :func:`verify` recomputes a random sample of them and compares.

Command line: ``hwlib study plan|run|verify`` (``--help`` explains each).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .experiments import SORT_COLUMNS, at_defaults, group_keys, plan_groups, predictor_table, worker_cells
from .metrics import METRIC_NAMES
from .paths import try_lock
from .profiles import check_profile, settings
from .store import Store

__all__ = ["Group", "results", "study_store", "agreement", "study_datasets", "study_predictors", "grid", "plan", "run", "verify",
           "parse_duration", "estimate_seconds", "FIT_TIME_PRIOR"]

log = logging.getLogger(__name__)

#: Prior cost of one fit (seconds per seed, one core) as (a, b, c) in a + b n + c n^2, for a
#: predictor on n training samples; torch models are costed per seed of a stack. Replaced by the
#: recorded fit times as soon as there are any (see :func:`estimate_seconds`).
FIT_TIME_PRIOR: dict[str, tuple[float, float, float]] = {
    "lr": (0.002, 1e-6, 0), "ridge": (0.002, 1e-6, 0), "blr": (0.005, 3e-6, 0),
    "svr": (0.002, 0, 8e-8), "gp": (0.01, 1e-5, 0), "sparse_gp": (0.3, 5e-4, 0),
    "rf": (0.15, 1.2e-4, 0), "xgb": (0.15, 8e-5, 0), "ngb": (1.0, 1.4e-3, 0), "lgb": (0.05, 5e-5, 0),
    "bohamiann": (1.0, 1e-3, 0), "mlp_small": (0.004, 2.5e-4, 0), "mlp_large": (0.01, 1e-3, 0),
    "bananas": (0.02, 4e-3, 0), "bonas": (0.5, 8e-3, 0), "gcn": (2.0, 0.22, 0), "nao": (1.0, 5e-2, 0),
}


@dataclass(frozen=True)
class Group:
    """One unit of work: a predictor on a dataset at one training size, for some seeds."""

    dataset: str
    predictor: str
    nominal_size: int
    train_size: int
    seeds: tuple[int, ...]
    keys: tuple[str, ...]

    @property
    def table(self) -> str:
        return predictor_table(self.dataset, self.predictor)


def study_datasets() -> list[str]:
    """The study's datasets: the five hard ones of each benchmark, and our own devices at hand."""
    from .data import hard_datasets, list_datasets

    names = hard_datasets("hwnas") + hard_datasets("transnas")
    own = [n for n in list_datasets() if n.endswith("-cpu_latency") and n not in names]
    return names + own


def study_predictors() -> list[str]:
    """Every trained predictor (the lookup table is measured, not trained: chapter 'Lookup tables')."""
    from .predictors import list_predictors

    return [p for p in list_predictors() if p != "lut"]


def grid(profile: str = "full", predictors: Sequence[str] | None = None,
         datasets: Sequence[str] | None = None, **overrides: Any) -> list[Group]:
    """Every group of a profile's grid, optionally restricted to some predictors or datasets.

    ``overrides`` are settings of chapter ``predictors`` (:data:`hwlib.profiles.SETTINGS`), e.g.
    ``heavy=()`` for the protocol's grid without the reduced heavy predictors.

    Raises
    ------
    InputError
        An unknown profile, or a predictor or dataset that is not part of the study.
    """
    cfg = settings("predictors", profile, **overrides)
    predictors = _subset(predictors, list(cfg.predictors or study_predictors()), "predictor")
    datasets = _subset(datasets, study_datasets(), "dataset")
    limits = {p: (range(cfg.heavy_seeds), cfg.heavy_max_size) for p in cfg.heavy}
    groups = []
    for ds, predictor, nominal, n, seeds in plan_groups(datasets, predictors, None, range(cfg.seeds), limits):
        if _size_index(ds.search_space, nominal) not in cfg.size_indices:
            continue
        keys = tuple(group_keys(ds, predictor, {}, n, seeds, cfg.hpo_budget).values())
        groups.append(Group(ds.name, predictor, nominal, n, tuple(seeds), keys))
    return groups


def _size_index(search_space: str, nominal: int) -> int:
    from .protocol import nominal_train_sizes

    return nominal_train_sizes(search_space).index(nominal)


def _subset(asked: Sequence[str] | None, known: list[str], what: str) -> list[str]:
    if asked is None:
        return known
    unknown = [a for a in asked if a not in known]
    if unknown:
        raise InputError(f"unknown {what}(s) for the study: {', '.join(unknown)}; known: {', '.join(known)}")
    return list(asked)


# ----------------------------------------------------------------------------- results


def results(profile: str = "quick", store: Store | None = None, progress: bool = False, n_jobs: int = 1,
            **overrides: Any) -> pd.DataFrame:
    """The records of a profile's grid on the paper's hard datasets, one row per cell.

    The quick profile computes its cells anew (into the cache, never reading the committed
    results: see :func:`agreement`); the full profile reads the committed results only and,
    unless its ``compute`` setting is overridden (then missing cells are computed into the
    cache), computes nothing: a cell not yet committed is absent.

    Parameters
    ----------
    profile : str
    store : Store, optional
        Default: :func:`study_store`.
    n_jobs : int
        Worker processes computing missing cells (:func:`hwlib.experiments.run_study`).
    **overrides
        Settings of chapter ``predictors`` (:data:`hwlib.profiles.SETTINGS`).

    Returns
    -------
    DataFrame
        As :func:`hwlib.experiments.run_study`, with a ``benchmark`` column ('hwnas', 'transnas').
    """
    from .data import hard_datasets
    from .experiments import run_study
    from .protocol import nominal_train_sizes

    cfg = settings("predictors", profile, **overrides)
    store = store or study_store(profile, cfg.compute)
    predictors = list(cfg.predictors or study_predictors())
    limits = {p: (range(cfg.heavy_seeds), cfg.heavy_max_size) for p in cfg.heavy}
    frames = []
    for bench, space in [("hwnas", "nb201"), ("transnas", "transnas_micro")]:
        sizes = [nominal_train_sizes(space)[i] for i in cfg.size_indices]
        frame = run_study(hard_datasets(bench), predictors, sizes, range(cfg.seeds), hpo_budget=cfg.hpo_budget,
                          store=store, progress=progress, limits=limits, compute=cfg.compute, n_jobs=n_jobs)
        frames.append(frame.assign(benchmark=bench))
    return pd.concat(frames, ignore_index=True)


def study_store(profile: str, compute: bool) -> Store:
    """Where a chapter of ``profile`` reads (and, with ``compute``, writes) study records.

    quick: the cache alone (computed anew); full: the committed results alone, or, when computing,
    the cache over the committed results.
    """
    from .store import default_store

    check_profile(profile)
    if not compute:
        return _results_store()
    return default_store(committed=profile != "quick")


def agreement(computed: pd.DataFrame, store: Store | None = None) -> dict[str, Any]:
    """How records computed now compare with the committed ones of the same cells.

    Returns
    -------
    dict
        ``shared`` (cells in both), ``differ`` (cells made on this machine's kernels with a metric
        that differs beyond :data:`VERIFY_TOLERANCE`), ``max_abs_diff`` (their largest difference
        of any metric), ``other_kernels`` (shared cells made on other or unrecorded kernels,
        compared in the mean, :func:`kernel_shift`; a systematic shift counts them all as differing).
    """
    store = store or _results_store()
    same = same_kernels(store)
    shared, differ, worst, other = 0, 0, 0.0, []
    for (dataset, predictor), part in computed.groupby(["dataset", "predictor"]):
        committed = store.records(predictor_table(dataset, predictor))
        if committed.empty:
            continue
        committed = at_defaults(committed)   # not a variant of the same cell (released_code_quirks)
        merged = part.merge(committed, on=["train_size", "seed"], suffixes=("", "_committed"))
        shared += len(merged)
        run = "run_committed" if "run_committed" in merged else "run" if "run" in committed else None
        mine = merged[run].map(same).to_numpy(bool) if run and len(merged) else np.zeros(len(merged), bool)
        other += list(zip(merged.loc[~mine, "kendalltau_committed"], merged.loc[~mine, "kendalltau"]))
        merged = merged[mine]
        bad = np.zeros(len(merged), dtype=bool)
        for metric in METRIC_NAMES:
            a, b = merged[metric].to_numpy(float), merged[f"{metric}_committed"].to_numpy(float)
            gap = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
            gap = np.where(np.isnan(a) ^ np.isnan(b), np.inf, gap)
            worst = max(worst, float(np.max(gap, initial=0.0)))
            bad |= gap > VERIFY_TOLERANCE * np.maximum(1.0, np.nan_to_num(np.abs(b)))
        differ += int(bad.sum())
    shift = kernel_shift(other)
    differ += shift["cells"] if shift["systematic"] else 0
    return {"shared": shared, "differ": differ, "max_abs_diff": worst, "other_kernels": shift}


# ----------------------------------------------------------------------------- plan


def _done_keys(store: Store, groups: Sequence[Group]) -> dict[str, set[str]]:
    """Stored keys per table among the groups' keys."""
    out: dict[str, set[str]] = {}
    for table in {g.table for g in groups}:
        frame = store.records(table)
        out[table] = set(frame["key"]) if not frame.empty else set()
    return out


def estimate_seconds(store: Store, groups: Sequence[Group], done: dict[str, set[str]] | None = None
                     ) -> dict[Group, float]:
    """Estimated CPU-seconds of each group's missing seeds.

    Per predictor and training size, the mean recorded fit time where there is one; else the
    prior (:data:`FIT_TIME_PRIOR`) scaled by the ratio of recorded to prior time at the largest
    size already run.
    """
    done = done if done is not None else _done_keys(store, groups)
    fit = _recorded_fit_times(store, {g.table for g in groups})
    out = {}
    for g in groups:
        missing = sum(k not in done[g.table] for k in g.keys)
        out[g] = missing * _seconds_per_fit(fit, g.predictor, g.train_size)
    return out


def _recorded_fit_times(store: Store, tables: Iterable[str]) -> pd.Series:
    """Mean recorded fit time per (predictor, train_size), of the predictors at their defaults."""
    frames = [at_defaults(f)[["predictor", "train_size", "fit_time"]] for t in tables
              if not (f := store.records(t)).empty]
    if not frames:
        return pd.Series(dtype=float)
    return pd.concat(frames).groupby(["predictor", "train_size"])["fit_time"].mean()


def _prior(predictor: str, n: int) -> float:
    a, b, c = FIT_TIME_PRIOR.get(predictor, (1.0, 1e-3, 0))
    return a + b * n + c * n * n


def _seconds_per_fit(fit: pd.Series, predictor: str, n: int) -> float:
    if (predictor, n) in fit.index:
        return float(fit[(predictor, n)])
    if predictor in fit.index.get_level_values(0):
        # scaled to the recorded time at the largest size run: the nearest point to extrapolate from,
        # where a wrong guess of the prior's fixed cost matters least
        seen = fit[predictor]
        largest = int(seen.index.max())
        return float(seen[largest]) / _prior(predictor, largest) * _prior(predictor, n)
    return _prior(predictor, n)


def plan(profile: str = "full", store: Store | None = None, predictors: Sequence[str] | None = None,
         datasets: Sequence[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """How far the profile's grid is: cells, CPU-hours spent and left, per predictor.

    ``overrides``: settings of chapter ``predictors``, as for :func:`grid`.

    Returns
    -------
    dict
        ``profile``, ``cells_total``, ``cells_done``, ``cpu_hours_done`` (from the recorded fit
        times), ``cpu_hours_left`` (estimated), ``by_predictor``: a list of objects with
        ``predictor``, ``cells_total``, ``cells_done``, ``cpu_hours_done``, ``cpu_hours_left``;
        ``missing``: the groups (a predictor on a dataset at one training size) that lack cells,
        in the order :func:`run` takes them, each with ``dataset``, ``predictor``,
        ``train_size``, ``cells_missing``, ``cpu_hours_left`` and ``running`` (whether a runner
        holds it now).
    """
    store = store or _results_store()
    groups = grid(profile, predictors, datasets, **overrides)
    done = _done_keys(store, groups)
    left = estimate_seconds(store, groups, done)
    spent = _spent_seconds(store, groups, done)
    claims = _Claims(store.root)
    missing = [{"dataset": g.dataset, "predictor": g.predictor, "train_size": g.train_size,
                "cells_missing": _missing(g, done),
                "cpu_hours_left": left[g] / 3600, "running": claims.held_elsewhere(g)}
               for g in _in_run_order(_missing_groups(groups, done), left)]
    rows: dict[str, dict] = {}
    for g in groups:
        row = rows.setdefault(g.predictor, {"predictor": g.predictor, "cells_total": 0, "cells_done": 0,
                                            "cpu_hours_done": 0.0, "cpu_hours_left": 0.0})
        row["cells_total"] += len(g.keys)
        row["cells_done"] += sum(k in done[g.table] for k in g.keys)
        row["cpu_hours_done"] += spent[g] / 3600
        row["cpu_hours_left"] += left[g] / 3600
    by = list(rows.values())
    return {"profile": profile, "results": str(store.root),
            "cells_total": sum(r["cells_total"] for r in by), "cells_done": sum(r["cells_done"] for r in by),
            "cpu_hours_done": sum(r["cpu_hours_done"] for r in by),
            "cpu_hours_left": sum(r["cpu_hours_left"] for r in by), "by_predictor": by, "missing": missing}


def _missing(group: Group, done: dict[str, set[str]]) -> int:
    return sum(k not in done[group.table] for k in group.keys)


def _missing_groups(groups: Sequence[Group], done: dict[str, set[str]]) -> list[Group]:
    return [g for g in groups if _missing(g, done)]


def _parts(group: Group, done: dict[str, set[str]]) -> list[Group]:
    """The group's seeds in the stacks its predictor trains (``_stack_limit``: BONAS' stacks
    of about five), those that lack cells: :func:`run` stores each part as it finishes, so an
    interrupted run loses at most the stack in training. Fixed boundaries, so that runners
    sharing a results folder claim the same parts. A predictor without a limit: the whole group.
    """
    from .predictors import get_spec

    regressor = get_spec(group.predictor).regressor_class()()
    size = getattr(regressor, "_stack_limit", lambda n: None)(group.train_size) or len(group.seeds)
    parts = [Group(group.dataset, group.predictor, group.nominal_size, group.train_size,
                   group.seeds[a:a + size], group.keys[a:a + size]) for a in range(0, len(group.seeds), size)]
    return [part for part in parts if _missing(part, done)]


def _in_run_order(groups: Sequence[Group], cost: Mapping[Group, float]) -> list[Group]:
    """Cheapest first (ties by name): the order in which :func:`run` computes them."""
    return sorted(groups, key=lambda g: (cost[g], g.dataset, g.predictor, g.train_size))


def _spent_seconds(store: Store, groups: Sequence[Group], done: dict[str, set[str]]) -> dict[Group, float]:
    """Recorded fit plus query time of each group's stored cells."""
    times: dict[str, pd.Series] = {}
    for table in done:
        frame = store.records(table)
        if not frame.empty:
            query = frame["query_time"].fillna(0) if "query_time" in frame else 0
            times[table] = pd.Series((frame["fit_time"] + query).to_numpy(), index=frame["key"])
    return {g: float(times[g.table].reindex([k for k in g.keys if k in done[g.table]]).sum())
            if g.table in times else 0.0 for g in groups}


def _results_store() -> Store:
    from .paths import results_dir

    return Store(results_dir())


# ----------------------------------------------------------------------------- run


def parse_duration(text: str | None) -> float | None:
    """``'2h'``, ``'90m'``, ``'45s'``, ``'1h30m'`` or plain seconds -> seconds; None -> None."""
    if text is None:
        return None
    text = str(text).strip().lower()
    parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?", text)
    if not text or parts is None or not any(parts.groups()):
        raise InputError(f"--budget: cannot read {text!r}; use e.g. 2h, 90m, 1h30m or 3600")
    h, m, s = (float(x) if x else 0.0 for x in parts.groups())
    return h * 3600 + m * 60 + s


def _compute_group(dataset: str, predictor: str, train_size: int, seeds: Sequence[int],
                   hpo_budget: float | None) -> list[dict]:
    """A group's records, computed in whichever process runs this (a worker or this one)."""
    return worker_cells(dataset, predictor, train_size, seeds, hpo_budget=hpo_budget)


def run(profile: str = "full", predictors: Sequence[str] | None = None, datasets: Sequence[str] | None = None,
        budget: float | None = None, jobs: int = 1, scheduler: str | None = None, store: Store | None = None,
        progress: bool = True, max_groups: int | None = None) -> dict[str, Any]:
    """Compute the grid's missing cells, cheapest groups first, and store them as they finish.

    A group (a predictor on a dataset at one training size) is computed in parts of the seeds its
    predictor trains as one stack (:func:`_parts`; the whole group for most predictors), and each
    part is stored as it finishes. Several runs may share one results folder (started with the
    same command in two terminals, say): each claims a part before computing it
    (:class:`_Claims`) and passes over the parts another holds, so that together they share out
    the grid.

    Parameters
    ----------
    profile : str
    predictors, datasets : sequences of names, optional
        Only these (default: the whole grid).
    budget : float, optional
        Seconds: no group is started whose estimated cost would end past the budget, so the run
        stops cleanly near it. None: until the grid is complete.
    jobs : int
        Worker processes (1: this process).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``): the groups run on its
        workers instead of local processes. Start the workers with one thread each
        (``dask worker ADDRESS --nthreads 1``): a cell's recorded times are the CPU time of the
        process that computes it.
    store : Store, optional
        Where records are read and written (default: the committed ``results/``).
    max_groups : int, optional
        Stop after this many parts (tests).

    Returns
    -------
    dict
        ``groups_done`` (parts), ``cells_done``, ``claimed_elsewhere`` (parts passed over:
        another run held them), ``seconds``, ``stopped`` (``'complete'``, ``'budget'``,
        ``'interrupted'`` or ``'max_groups'``).

    A Ctrl-C stops the run; every part already finished is stored (a part is written whole,
    atomically, as it finishes).
    """
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    store = store or _results_store()
    cfg = settings("predictors", profile)
    groups = grid(profile, predictors, datasets)
    done = _done_keys(store, groups)
    missing = _missing_groups(groups, done)
    group_cost = estimate_seconds(store, missing, done)
    todo, cost = [], {}
    for group in _in_run_order(missing, group_cost):
        for part in _parts(group, done):
            todo.append(part)
            cost[part] = group_cost[group] * _missing(part, done) / _missing(group, done)
    if max_groups is not None:
        todo = todo[:max_groups]
    run_id = store.register_run()
    bar = _bar(sum(cost[g] for g in todo), len(todo), progress)
    started = time.monotonic()
    stats = {"groups_done": 0, "cells_done": 0, "claimed_elsewhere": 0, "stopped": "complete"}
    claims = _Claims(store.root)

    def take(group: Group) -> bool:
        """Claim the part; False (and the part passed over) when another runner holds it or
        stored it meanwhile."""
        if claims.take(group):
            done[group.table].update(store.get(group.table, group.keys))   # stored meanwhile?
            if any(k not in done[group.table] for k in group.keys):
                return True
            claims.release(group)
        else:
            stats["claimed_elsewhere"] += 1
        bar.update(cost[group])
        return False

    def finish(group: Group, records: list[dict]) -> None:
        keys = dict(zip(group.seeds, group.keys))
        rows = [{"key": keys[r["seed"]], "run": run_id, "checksum": _checksum(group.dataset), "params": {},
                 "hpo_budget": cfg.hpo_budget, **r} for r in records if keys[r["seed"]] not in done[group.table]]
        store.put(group.table, rows, sort_by=SORT_COLUMNS)
        done[group.table].update(r["key"] for r in rows)
        claims.release(group)
        stats["groups_done"] += 1
        stats["cells_done"] += len(rows)
        bar.update(cost[group])
        bar.set_postfix_str(f"{stats['groups_done']}/{len(todo)} parts, {group.predictor} {group.dataset} n={group.train_size}")

    def fits(group: Group) -> bool:
        return budget is None or time.monotonic() - started + cost[group] <= budget

    try:
        if jobs == 1 and scheduler is None:
            for group in todo:
                if not fits(group):
                    stats["stopped"] = "budget"
                    break
                if take(group):
                    finish(group, _compute_group(*_task(group, done, cfg.hpo_budget)))
        else:
            stats["stopped"] = _run_pool(todo, done, cfg.hpo_budget, jobs, scheduler, fits, take, finish)
    except KeyboardInterrupt:
        stats["stopped"] = "interrupted"
    finally:
        claims.release_all()
        bar.close()
    if max_groups is not None and stats["stopped"] == "complete" and len(todo) < len(groups):
        stats["stopped"] = "max_groups"
    stats["seconds"] = round(time.monotonic() - started, 1)
    return stats


def _task(group: Group, done: dict[str, set[str]], hpo_budget) -> tuple:
    """Arguments of :func:`_compute_group` for the group's missing seeds."""
    seeds = [s for s, k in zip(group.seeds, group.keys) if k not in done[group.table]]
    return group.dataset, group.predictor, group.train_size, seeds, hpo_budget


def _run_pool(todo: list[Group], done, hpo_budget, jobs: int, scheduler: str | None,
              fits: Callable[[Group], bool], take: Callable[[Group], bool], finish: Callable) -> str:
    """Run groups on ``jobs`` local processes or a Dask cluster, ``jobs`` in flight at a time."""
    client = None
    if scheduler is not None:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from None
        executor = client.get_executor(pure=False)
        jobs = max(jobs, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
    else:
        from .data import worker_pool

        executor = worker_pool(jobs)
    stopped, queue, running = "complete", list(todo), {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                group = queue.pop(0)
                if not fits(group):
                    stopped, queue = "budget", []
                    break
                if not take(group):
                    continue
                running[executor.submit(_compute_group, *_task(group, done, hpo_budget))] = group
            if not running:
                break
            finished, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
            for future in finished:
                finish(running.pop(future), future.result())
    finally:
        for future in running:
            future.cancel()
        executor.shutdown(wait=False, cancel_futures=True) if client is None else client.close()
    return stopped


class _Claims:
    """Groups this process computes, each held by an exclusive lock on a file of
    ``<results>/.claims/``, so that several runners over one results folder (two started with the
    same command, say) share out the grid instead of computing the same groups twice.

    A lock goes with its process (:func:`hwlib.paths.try_lock`): a runner that is killed leaves no
    claim behind.
    """

    def __init__(self, root: Path):
        self.folder = Path(root) / ".claims"
        self.held: dict[Group, Any] = {}

    def _path(self, group: Group, any_part: bool = False) -> Path:
        """The lock of a group or of a part of it (:func:`_parts`), named by its first seed; with
        ``any_part``, the glob pattern of every part's lock."""
        first = "*" if any_part else group.seeds[0]
        return self.folder / f"{group.table.replace('/', '--')}--{group.train_size}--{first}.lock"

    def take(self, group: Group) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = try_lock(self._path(group))
        if handle is None:
            return False
        self.held[group] = handle
        return True

    def held_elsewhere(self, group: Group) -> bool:
        """Whether another process holds the group or a part of it now (creates no lock file)."""
        for path in self.folder.glob(self._path(group, any_part=True).name):
            handle = try_lock(path)
            if handle is None:
                return True
            handle.close()
        return False

    def release(self, group: Group) -> None:
        handle = self.held.pop(group, None)
        if handle is not None:
            handle.close()          # (closing the file drops its lock)

    def release_all(self) -> None:
        for group in list(self.held):
            self.release(group)


def _checksum(dataset: str) -> str:
    from .data import load_dataset

    return load_dataset(dataset).checksum


def _bar(total_seconds: float, n_parts: int, enabled: bool):
    """A progress bar over the estimated CPU-seconds of the work (so that its time left is meaningful)."""
    from tqdm.auto import tqdm

    return tqdm(total=max(total_seconds, 1e-9), unit="s", unit_scale=True, disable=not enabled,
                desc=f"study ({n_parts} parts)", smoothing=0.05,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| est. {n:.0f}/{total:.0f} cpu-s "
                           "[{elapsed}<{remaining}] {postfix}")


# ----------------------------------------------------------------------------- verify

#: Largest difference tolerated per metric when a record is recomputed. Every model here is
#: deterministic per seed (the torch models bit for bit, one thread: see hwlib.predictors._torch)
#: on the same kernels (:func:`hwlib.machine.kernels`, in each run's provenance); the tolerance
#: only absorbs the last bits of a library's multithreaded arithmetic.
VERIFY_TOLERANCE = 1e-9
#: A record made on other kernels (another CPU's BLAS or torch kernels: AVX2 against AVX-512, or
#: another vendor's CPU, for which torch's MKL chooses other code), or
#: by a run that did not record its kernels (runs before 1 December 2026), cannot be recomputed
#: bit for bit: ties among predictions break otherwise and a network's last bits drift over its
#: training steps, so one cell's metrics may differ by a few hundredths. Such records are compared
#: in the mean instead: over the cells checked, the Kendall tau recomputed here must not differ
#: from the records' by more than this on average (nor by more than three standard errors).
KERNEL_SHIFT_TOLERANCE = 0.01


def same_kernels(store: Store):
    """A test of whether a record's ``run`` computed on this machine's kernels (:func:`hwlib.machine.kernels`)."""
    from .machine import kernels, run_kernels

    runs, here = store.provenance(), kernels()
    return lambda run: isinstance(run, str) and run_kernels(runs.get(run, {})) == here


def kernel_shift(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Recorded against recomputed Kendall tau of the cells made on other kernels: ``cells``,
    ``exact`` (bit for bit anyway), ``mean`` and ``se`` of the difference (recomputed minus
    recorded) and ``systematic`` (the mean beyond :data:`KERNEL_SHIFT_TOLERANCE` and three
    standard errors: not what other kernels' rounding does)."""
    diffs = np.array([b - a for a, b in pairs if not (np.isnan(a) or np.isnan(b))], dtype=float)
    n = len(diffs)
    mean = float(diffs.mean()) if n else 0.0
    se = float(diffs.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    return {"cells": len(pairs), "exact": int(sum(_close(a, b) for a, b in pairs)), "mean": mean, "se": se,
            "systematic": bool(abs(mean) > KERNEL_SHIFT_TOLERANCE and abs(mean) > 3 * se)}


def verify(sample: int, seed: int = 0, store: Store | None = None, max_fit_time: float | None = None,
           predictors: Sequence[str] | None = None, progress: bool = False) -> dict[str, Any]:
    """Recompute ``sample`` randomly chosen stored cells and compare them with their records.

    Parameters
    ----------
    sample : int
        How many cells.
    seed : int
        Which cells (the choice is random but reproducible).
    max_fit_time : float, optional
        Only cells whose recorded fit time is at most this many seconds (CI's cheap sample).
    predictors : sequence of str, optional
        Only cells of these predictors.

    Returns
    -------
    dict
        ``checked`` (the number of cells), ``differ``: one entry per cell made on this machine's
        kernels that differs (its dataset, predictor, train size, seed, and the metrics that differ
        with both values), ``tolerance``, and ``other_kernels``: the cells made on other or
        unrecorded kernels, compared in the mean (:func:`kernel_shift`; a systematic shift is
        also an entry of ``differ``).
    """
    from .data import load_dataset

    _check_sample(sample)
    if predictors is not None:
        predictors = _subset(predictors, study_predictors(), "predictor")
    store = store or _results_store()
    pool = _verifiable(store, max_fit_time, predictors)
    if pool.empty:
        raise InputError(f"no stored cells to verify in {store.root}"
                         + (f" of {', '.join(predictors)}" if predictors else "")
                         + (f" with a fit time of at most {max_fit_time} s" if max_fit_time is not None else ""))
    chosen = pool.sample(n=min(int(sample), len(pool)), random_state=int(seed))
    compare = Comparison(store)
    for rec in _progress_rows(chosen, progress):
        ds = load_dataset(rec["dataset"])
        if ds.checksum != rec["checksum"]:
            compare.differ.append({**_cell_id(rec), "reason": "the data changed since the record was made"})
            continue
        again = _compute_group(rec["dataset"], rec["predictor"], int(rec["train_size"]), [int(rec["seed"])],
                               None if pd.isna(rec["hpo_budget"]) else rec["hpo_budget"])[0]
        compare.add(_cell_id(rec), rec, again, METRIC_NAMES)
    return compare.result(len(chosen))


class Comparison:
    """Recorded against recomputed cells: exact on this machine's kernels, in the mean on others.

    ``add(cell, record, again, metrics)`` for each cell, then ``result(checked)`` (as :func:`verify`
    returns it). ``differ`` may also take entries directly (a cell that could not be recomputed).
    """

    def __init__(self, store: Store):
        self.same = same_kernels(store)
        self.differ: list[dict] = []
        self.other: list[tuple[float, float]] = []

    def add(self, cell: dict, record: Mapping, again: Mapping, metrics: Sequence[str]) -> None:
        if not self.same(record.get("run")):
            pair = (record["kendalltau"], again["kendalltau"])
            self.other.append(tuple(np.nan if v is None else float(v) for v in pair))
            return
        diffs = {m: (record[m], again[m]) for m in metrics if not _close(record[m], again[m])}
        if diffs:
            self.differ.append({**cell, "metrics": diffs})

    def result(self, checked: int) -> dict[str, Any]:
        shift = kernel_shift(self.other)
        if shift["systematic"]:
            self.differ.append({"dataset": "*", "predictor": "*", "train_size": 0, "seed": 0,
                                "reason": f"the {shift['cells']} cells made on other kernels shift Kendall tau "
                                          f"by {shift['mean']:+.4f} (s.e. {shift['se']:.4f}) on average"})
        return {"checked": checked, "differ": self.differ, "tolerance": VERIFY_TOLERANCE, "other_kernels": shift}


def _check_sample(sample) -> None:
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)) or sample < 1:
        raise InputError(f"sample must be an integer >= 1 (cells to recompute), got {sample!r}")


def _verifiable(store: Store, max_fit_time, predictors) -> pd.DataFrame:
    frames = [store.records(t) for t in store.tables("predictors")]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    pool = pd.concat(frames, ignore_index=True).sort_values("key")
    if max_fit_time is not None:
        pool = pool[pool["fit_time"] <= max_fit_time]
    if predictors is not None:
        pool = pool[pool["predictor"].isin(predictors)]
    return at_defaults(pool).reset_index(drop=True)


def _progress_rows(frame: pd.DataFrame, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(frame.to_dict("records"), desc="verify", unit="cell", disable=not enabled)


def _cell_id(rec: dict) -> dict:
    return {"dataset": rec["dataset"], "predictor": rec["predictor"], "train_size": int(rec["train_size"]),
            "seed": int(rec["seed"])}


def _close(a, b) -> bool:
    a = None if a is None or (isinstance(a, float) and math.isnan(a)) else float(a)
    b = None if b is None or (isinstance(b, float) and math.isnan(b)) else float(b)
    if a is None or b is None:
        return a is b
    return abs(a - b) <= VERIFY_TOLERANCE * max(1.0, abs(a))
