"""What the protocol's brief tuning changes: tuned predictors against their defaults, seed by seed.

The study (:mod:`hwlib.study`) trains every predictor at its defaults; the paper tuned Ridge, SVR,
the MLPs, BANANAS, BONAS and GCN briefly before each fit (PROTOCOL.md, "Brief hyperparameter
search"). This experiment runs the tuned predictors again on the same splits, with that search
(:mod:`hwlib.hpo`: random search, the defaults first, 3-fold cross-validated Kendall tau), and
pairs each tuned run with the default run of the same cell.

The search here scores a fixed number of candidates (``max_iter``) with no time limit, where the
paper gave it 900 s per 1000 samples: a time budget makes a record depend on the machine, a
number of candidates does not, so the records can be committed and recomputed
(:func:`verify`). Records live in the results store under ``tuning/<dataset>/<predictor>``; the
grid is the ``tuning_*`` settings of chapter ``predictors`` (:data:`hwlib.profiles.SETTINGS`).

Command line: ``hwlib study tune`` computes the missing cells and prints :func:`effect`.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .errors import InputError
from .experiments import _json_safe, _tidy, plan_groups, run_cells, run_study
from .profiles import settings
from .store import Store, cell_key

__all__ = ["TUNING_SIZE", "FEW_SAMPLE_CLAIMS", "tuning_datasets", "tuning_table", "tuning_key", "grid", "progress",
           "run", "results", "effect", "standing", "MANY_VALUES", "choices", "claim_note", "few_sample_claims",
           "verify"]

log = logging.getLogger(__name__)

#: Columns a tuning table is sorted by (then by key).
SORT_COLUMNS = ("train_size", "seed", "max_iter")
#: The size the chapter's sentences quote when the grid has it (TransNAS: 65 samples).
TUNING_SIZE = 65


def tuning_datasets() -> list[str]:
    """The default datasets: this project's CPU on the TransNAS macro space (the real macro
    backbones, where the paper's TransNAS claims about the MLPs can be checked), then the five
    hard TransNAS-Bench-101 datasets of the study, then its five HW-NAS-Bench datasets (where
    the claims about beating the lookup table with few samples can be checked)."""
    from .data import hard_datasets, list_datasets

    own = [n for n in ("transnas_macro-cpu_latency",) if n in list_datasets()]
    return own + hard_datasets("transnas") + hard_datasets("hwnas")


def tuning_table(dataset: str, predictor: str) -> str:
    """The store table of the tuned cells of ``predictor`` on ``dataset``."""
    return f"tuning/{dataset}/{predictor}"


def tuning_key(dataset: str, checksum: str, predictor: str, train_size: int, seed: int, max_iter: int) -> str:
    """The store key of one tuned cell (see :func:`hwlib.store.cell_key`)."""
    return cell_key("tuning", {"dataset": dataset, "checksum": checksum, "predictor": predictor,
                               "train_size": int(train_size), "seed": int(seed), "max_iter": int(max_iter)})


def grid(profile: str = "full", **overrides: Any) -> tuple[list[tuple], Any]:
    """The tuning grid of a profile: (groups as :func:`hwlib.experiments.plan_groups`, settings).

    ``overrides`` are settings of chapter ``predictors`` (``tuning_datasets``,
    ``tuning_predictors``, ``tuning_size_indices`` (TransNAS) and ``tuning_hwnas_size_indices``
    (HW-NAS-Bench), ``tuning_seeds``, ``tuning_max_iter``). A predictor runs only where the paper
    compared it (:func:`_competitors`: the graph and path predictors on HW-NAS-Bench alone).

    Raises
    ------
    InputError
        A predictor that is not tuned, an unknown dataset, a size index out of range.
    """
    from .predictors import get_spec
    from .protocol import nominal_train_sizes

    cfg = settings("predictors", profile, **overrides)
    datasets = list(cfg.tuning_datasets or tuning_datasets())
    untuned = [p for p in cfg.tuning_predictors if not get_spec(p).tuned]
    if untuned:
        raise InputError(f"not tuned by the protocol: {', '.join(untuned)} (tuned: ridge, svr, mlp_small, "
                         "mlp_large, bananas, bonas, gcn)")
    groups = []
    for name in datasets:
        sizes = _sizes(name, cfg, nominal_train_sizes)
        groups += plan_groups([name], _competitors(name, cfg.tuning_predictors), sizes, range(cfg.tuning_seeds))
    order = {p: i for i, p in enumerate(cfg.tuning_predictors)}
    groups.sort(key=lambda g: (g[3], order[g[1]]))          # smallest sizes, cheapest predictors first
    return groups, cfg


def progress(profile: str = "full", store: Store | None = None, **overrides: Any) -> dict[str, Any]:
    """How far the tuning grid is: ``cells_total``, ``cells_done``, ``cpu_hours_done`` (from the
    recorded fit times, searches included)."""
    from .study import _results_store

    groups, cfg = grid(profile, **overrides)
    store = store or _results_store()
    total, done, seconds = 0, 0, 0.0
    for ds, predictor, _, n, seeds in groups:
        keys = [tuning_key(ds.name, ds.checksum, predictor, n, s, cfg.tuning_max_iter) for s in seeds]
        stored = store.get(tuning_table(ds.name, predictor), keys)
        total, done = total + len(keys), done + len(stored)
        seconds += sum(float(r["fit_time"]) for r in stored.values())
    return {"cells_total": total, "cells_done": done, "cpu_hours_done": seconds / 3600}


def _sizes(dataset: str, cfg, nominal_train_sizes) -> list[int]:
    """The tuned sizes of ``dataset``: the setting of its benchmark (HW-NAS-Bench or TransNAS)."""
    from .data import load_dataset

    space = load_dataset(dataset).search_space
    setting = "tuning_size_indices" if space.startswith("transnas") else "tuning_hwnas_size_indices"
    indices, sizes = getattr(cfg, setting), nominal_train_sizes(space)
    bad = [i for i in indices if not 0 <= int(i) < len(sizes)]
    if bad:
        raise InputError(f"{setting}: {bad} out of range 0-{len(sizes) - 1} (sizes {sizes})")
    return [sizes[int(i)] for i in indices]


def run(profile: str = "full", store: Store | None = None, compute: bool = True, budget: float | None = None,
        progress: bool = True, **overrides: Any) -> pd.DataFrame:
    """The tuned records of a profile's tuning grid; missing cells computed (unless ``compute`` is False).

    Parameters
    ----------
    profile : str
    store : Store, optional
        Default: the committed ``results/`` in the full profile (as ``hwlib study run``), the
        cache alone in the quick one.
    compute : bool
        False: return only the stored cells.
    budget : float, optional
        Seconds: no new group starts once this much time has passed.
    progress : bool
        A tqdm bar over the groups.
    **overrides
        Settings of chapter ``predictors``.

    Returns
    -------
    DataFrame
        One row per cell, as :func:`hwlib.experiments.run_study`, with ``max_iter``,
        ``hpo_n_tried`` and ``hpo_best_params`` (a dict; empty: the defaults won); ``fit_time``
        includes the search.
    """
    from .study import _results_store, study_store

    groups, cfg = grid(profile, **overrides)
    store = store or (_results_store() if profile == "full" else study_store(profile, compute))
    rows, run_id, started = [], None, time.monotonic()
    bar = _bar(groups, progress and compute)
    for ds, predictor, nominal, n, seeds in bar:
        table = tuning_table(ds.name, predictor)
        keys = {s: tuning_key(ds.name, ds.checksum, predictor, n, s, cfg.tuning_max_iter) for s in seeds}
        stored = store.get(table, keys.values())
        done = {s: stored[k] for s, k in keys.items() if k in stored}
        todo = [s for s in seeds if s not in done]
        if todo and compute and (budget is None or time.monotonic() - started < budget):
            run_id = run_id or store.register_run()
            records = _compute(ds, predictor, n, todo, cfg.tuning_max_iter)
            new = [{"key": keys[r["seed"]], "run": run_id, "checksum": ds.checksum, "max_iter": cfg.tuning_max_iter,
                    **_json_safe(r)} for r in records]
            store.put(table, new, sort_by=SORT_COLUMNS)
            done.update((r["seed"], r) for r in new)
        rows += [{**done[s], "nominal_train_size": nominal} for s in seeds if s in done]
    return _tidy(pd.DataFrame(rows))


def _bar(groups: list, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(groups, desc="tuning", unit="group", disable=not enabled)


def results(profile: str = "full", store: Store | None = None, progress: bool = False,
            **overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tuned records and the default records of the same cells, for a chapter.

    The full profile reads the committed results only (nothing is computed unless its
    ``compute`` setting is overridden); the quick profile computes both anew.

    Returns
    -------
    (tuned, defaults) : DataFrames
        As :func:`run`; ``defaults`` holds every predictor of the study that supports the
        datasets' spaces at the same sizes and seeds (the competitors of :func:`standing`).
    """
    from .study import study_predictors, study_store

    groups, cfg = grid(profile, **overrides)
    store = store or study_store(profile, cfg.compute)
    rest = {k: v for k, v in overrides.items() if k != "compute"}
    tuned = run(profile, store, compute=cfg.compute, progress=progress, **rest)
    frames = []
    for name in dict.fromkeys(g[0].name for g in groups):
        sizes = sorted({g[2] for g in groups if g[0].name == name})
        frames.append(run_study([name], _competitors(name, study_predictors()), sizes, range(cfg.tuning_seeds),
                                store=store, progress=progress, compute=cfg.compute))
    return tuned, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _competitors(dataset: str, predictors: Sequence[str]) -> list[str]:
    """The predictors the paper compared on the dataset's benchmark: on TransNAS those of the macro
    space (one-hot encodings), on HW-NAS-Bench every one."""
    from .data import load_dataset
    from .predictors import get_spec

    space = load_dataset(dataset).search_space
    needed = "transnas_macro" if space.startswith("transnas") else space
    return [p for p in predictors if needed in get_spec(p).spaces]


#: How the datasets are grouped in the tables, by search space.
GROUPS = {"transnas_macro": "TransNAS macro (this CPU)", "transnas_micro": "TransNAS micro (stand-in)",
          "nb201": "HW-NAS-Bench"}


def _group(dataset: str) -> str:
    """Where a dataset's numbers are reported: the macro space alone, the micro stand-ins together,
    the HW-NAS-Bench datasets together."""
    from .data import load_dataset

    return GROUPS[load_dataset(dataset).search_space]


#: What identifies a cell across the tuned and the default records.
CELL = ["dataset", "predictor", "nominal_train_size", "seed"]


def _per_seed(frame: pd.DataFrame, metric: str = "kendalltau") -> pd.Series:
    """``metric`` per (group, predictor, nominal size, seed), averaged over the group's datasets
    (undefined values left out, as in Figure 1)."""
    return (frame.assign(group=frame["dataset"].map(_group))
            .groupby(["group", "predictor", "nominal_train_size", "seed"])[metric].mean())


def _paired(tuned: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Each tuned cell beside the default run of the same cell (cells without one left out)."""
    pair = tuned[CELL + ["kendalltau", "fit_time", "hpo_best_params"]].merge(
        defaults[CELL + ["kendalltau", "fit_time"]], on=CELL, suffixes=("_tuned", "_default"))
    return pair.assign(group=pair["dataset"].map(_group), kept=pair["hpo_best_params"].map(_is_default))


def effect(tuned: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Tuned against default Kendall tau, paired by cell, per dataset group, predictor and size.

    Only cells run both ways count. Each seed's tau is averaged over the group's datasets (as
    Figure 1 does), tuned and default alike, and the two are paired.

    Returns
    -------
    DataFrame
        Columns group, predictor, train_size, default, tuned, gain (mean paired difference), se
        (its standard error over seeds), tuned_better (share of seeds where tuning helped),
        kept_defaults (share of runs whose search kept the defaults), fit_seconds (mean CPU
        seconds of a tuned fit, search included), fit_factor (that over the study's default fit
        time of the same cells; for the MLPs, a seed's share of a stack), seeds.
    """
    cols = ["group", "predictor", "train_size", "default", "tuned", "gain", "se", "tuned_better",
            "kept_defaults", "fit_seconds", "fit_factor", "seeds"]
    pair = _paired(tuned, defaults) if len(tuned) and len(defaults) else pd.DataFrame()
    if pair.empty:
        return pd.DataFrame(columns=cols)
    by = ["group", "predictor", "nominal_train_size"]
    # the means of both sides and their difference over the same cells: those where both are defined
    both = pair.dropna(subset=["kendalltau_tuned", "kendalltau_default"])
    seeds = both.groupby([*by, "seed"])[["kendalltau_tuned", "kendalltau_default"]].mean()
    seeds["gain"] = seeds["kendalltau_tuned"] - seeds["kendalltau_default"]
    g, cells = seeds.groupby(level=by), pair.groupby(by)
    out = pd.DataFrame({
        "default": g["kendalltau_default"].mean(), "tuned": g["kendalltau_tuned"].mean(), "gain": g["gain"].mean(),
        "se": g["gain"].sem(), "tuned_better": g["gain"].apply(lambda x: float((x.dropna() > 0).mean())),
        "kept_defaults": cells["kept"].mean(), "fit_seconds": cells["fit_time_tuned"].mean(),
        "fit_factor": cells["fit_time_tuned"].mean() / cells["fit_time_default"].mean().clip(lower=1e-9),
        "seeds": g["gain"].count()})
    return out.reset_index().rename(columns={"nominal_train_size": "train_size"})[cols]


def _is_default(params: Any) -> bool:
    return not params or params in ("{}", "nan") or (isinstance(params, float) and np.isnan(params))


def _complete_cells(tuned: pd.DataFrame) -> pd.DataFrame:
    """The (dataset, nominal size, seed) cells where every predictor tuned on that dataset has run
    (each benchmark tunes its own predictors: BONAS and BANANAS on HW-NAS-Bench alone)."""
    where = ["dataset", "nominal_train_size", "seed"]
    count = tuned.groupby(where)["predictor"].nunique()
    expected = tuned.groupby("dataset")["predictor"].nunique()
    full = count.to_numpy() == expected.reindex(count.index.get_level_values("dataset")).to_numpy()
    return count[full].reset_index()[where]


def standing(tuned: pd.DataFrame, defaults: pd.DataFrame) -> pd.DataFrame:
    """Per dataset group and size: the best predictor at defaults, and with the tuned ones tuned.

    The paper's claim "the MLPs are best from about 20 samples on TransNAS" was made with tuned
    MLPs (and tuned Ridge and SVR) against the other predictors at their defaults; this says which
    predictor is best both ways, on the (dataset, size, seed) cells where every predictor tuned on
    that dataset has run, so that all means are over the same cells.

    Returns
    -------
    DataFrame
        Columns group, train_size, best_default, tau_default, best_tuned, tau_tuned, mlp_best
        (an MLP is best with tuning), cells (datasets x seeds behind each mean).
    """
    cols = ["group", "train_size", "best_default", "tau_default", "best_tuned", "tau_tuned", "mlp_best", "cells"]
    if tuned.empty or defaults.empty:
        return pd.DataFrame(columns=cols)
    where = ["dataset", "nominal_train_size", "seed"]
    complete = _complete_cells(tuned)
    base = _per_seed(defaults.merge(complete, on=where)).groupby(level=[0, 1, 2]).mean().unstack("predictor")
    tuned_mean = _per_seed(tuned.merge(complete, on=where)).groupby(level=[0, 1, 2]).mean().unstack("predictor")
    with_tuned = base.copy()
    with_tuned.update(tuned_mean)
    cells = complete.assign(group=complete["dataset"].map(_group)).groupby(["group", "nominal_train_size"]).size()
    rows = []
    for (group, size), row in base.iterrows():
        if (group, size) not in tuned_mean.index:
            continue
        after = with_tuned.loc[(group, size)]
        rows.append({"group": group, "train_size": size, "best_default": row.idxmax(),
                     "tau_default": row.max(), "best_tuned": after.idxmax(), "tau_tuned": after.max(),
                     "mlp_best": after.idxmax().startswith("mlp"), "cells": int(cells[(group, size)])})
    return pd.DataFrame(rows, columns=cols)


def claim_note(best: pd.DataFrame) -> str:
    """What :func:`standing` says of the paper's claim that the MLPs are best on TransNAS from about
    20 samples on, per TransNAS dataset group; '' when nothing is tuned there."""
    parts = []
    transnas = best[best["group"] != GROUPS["nb201"]]
    for group, rows in transnas.groupby("group", sort=False):
        hits = rows.loc[rows["mlp_best"], "train_size"].astype(int).tolist()
        parts.append(f"on {group} an MLP is best at {len(hits)} of {len(rows)} sizes "
                     f"({', '.join(map(str, hits)) or 'none'}; at the defaults: "
                     f"{int(rows['best_default'].str.startswith('mlp').sum())})")
    return ("with the protocol's brief tuning (chapter 2, Table 2.8), " + "; ".join(parts)) if parts else ""


#: The paper's HW-NAS claims about few samples (:data:`hwlib.claims.CLAIMS`, by their
#: ``paper`` label), which the tuned HW-NAS sizes can check.
FEW_SAMPLE_CLAIMS = ("after ~10", "more than half", "at most 60")


def few_sample_claims(results: pd.DataFrame, tuned: pd.DataFrame, lut_mean: pd.Series) -> tuple[pd.DataFrame, dict]:
    """The paper's HW-NAS claims about few samples, at the defaults and with the tuned predictors tuned.

    Both ways on the same cells: at each tuned size, the (dataset, seed) cells where every tuned
    predictor has run; below 10 samples, where the protocol does not tune, the defaults of the
    seeds tuned. A tuned run replaces the default run of its cell; sizes above the largest
    tuned one are left out (a claim that reads them reads what it has).

    Parameters
    ----------
    results
        The study's records (with ``benchmark``), as :func:`hwlib.study.results`.
    tuned
        Tuned records, as :func:`run`.
    lut_mean
        The lookup table's mean tau per benchmark (:func:`hwlib.comparison.lut_means`).

    Returns
    -------
    (claims, cells)
        ``claims``: columns claim, paper, default and tuned (our number each way), verdict_default
        and verdict_tuned; ``cells``: tuned size -> (dataset, seed) cells behind it.
    """
    from .claims import check_claims
    from .comparison import curves

    cols = ["claim", "paper", "default", "verdict_default", "tuned", "verdict_tuned"]
    hw = results[results["benchmark"] == "hwnas"]
    mine = tuned[tuned["dataset"].isin(set(hw["dataset"]))] if len(tuned) else tuned
    if mine.empty:
        return pd.DataFrame(columns=cols), {}
    where = ["dataset", "nominal_train_size", "seed"]
    complete = _complete_cells(mine)
    cells = complete.groupby("nominal_train_size").size().to_dict()
    seeds = complete[["dataset", "seed"]].drop_duplicates()
    small = hw[hw["nominal_train_size"] < 10].merge(seeds, on=["dataset", "seed"])
    default = pd.concat([small, hw.merge(complete, on=where)], ignore_index=True)
    swap = mine.merge(complete, on=where).assign(benchmark="hwnas")
    keyed = default.set_index(CELL)
    keyed.update(swap.set_index(CELL)[["kendalltau"]])
    with_tuned = keyed.reset_index()
    out, present = {}, list(dict.fromkeys(hw["predictor"]))
    for name, frame in (("default", default), ("tuned", with_tuned)):
        claims = check_claims(curves(frame, complete=False), lut_mean, predictors=present,   # the cells tuned
                              benchmarks=("hwnas",)).set_index("paper")
        out[name] = claims.loc[list(FEW_SAMPLE_CLAIMS)]
    table = pd.DataFrame({"claim": out["default"]["claim"], "default": out["default"]["ours"],
                          "verdict_default": out["default"]["verdict"], "tuned": out["tuned"]["ours"],
                          "verdict_tuned": out["tuned"]["verdict"]}).rename_axis("paper").reset_index()
    return table[cols], cells


#: A numeric parameter the searches set to more distinct values than this is summarised by its
#: median choice (the most frequent of many values says little).
MANY_VALUES = 10


def choices(tuned: pd.DataFrame) -> pd.DataFrame:
    """What the searches chose: per predictor and parameter, the most frequent value and its share,
    or, for a numeric parameter chosen at more than :data:`MANY_VALUES` distinct values (a
    learning rate drawn log-uniformly), the median choice.

    Returns
    -------
    DataFrame
        Columns predictor, parameter, statistic ('most often' or 'median'), value, share (of the
        runs whose search changed anything; NaN for a median), runs_changed, runs.
    """
    rows = []
    for predictor, part in tuned.groupby("predictor"):
        picks = [p for p in part["hpo_best_params"] if not _is_default(p)]
        for name in sorted({k for p in picks for k in p}):
            values = pd.Series([p.get(name) for p in picks if name in p])
            numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            if numeric and values.nunique() > MANY_VALUES:
                statistic, value, share = "median", float(values.median()), float("nan")
            else:
                statistic, value = "most often", values.value_counts().index[0]
                share = float((values == value).mean())
            rows.append({"predictor": predictor, "parameter": name, "statistic": statistic, "value": value,
                         "share": share, "runs_changed": len(picks), "runs": len(part)})
    return pd.DataFrame(rows, columns=["predictor", "parameter", "statistic", "value", "share", "runs_changed",
                                       "runs"])


def verify(sample: int, seed: int = 0, store: Store | None = None, max_fit_time: float | None = None,
           progress: bool = True) -> dict[str, Any]:
    """Recompute ``sample`` random stored tuned cells (search included) and compare them with their records.

    As :func:`hwlib.study.verify`: on this machine's kernels every metric must agree within
    :data:`hwlib.study.VERIFY_TOLERANCE` (on others, Kendall tau in the mean); ``max_fit_time``
    keeps to cells whose recorded fit (and search) took at most that many seconds.

    Returns
    -------
    dict
        ``checked``, ``differ`` (one entry per cell that differs: dataset, predictor, train size,
        seed and the metrics with both values, or the reason), ``tolerance``, ``other_kernels``.
    """
    from .data import load_dataset
    from .metrics import METRIC_NAMES
    from .study import Comparison, _check_sample, _results_store

    _check_sample(sample)
    store = store or _results_store()
    frames = [store.records(t) for t in store.tables("tuning/")]
    pool = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if max_fit_time is not None and len(pool):
        pool = pool[pool["fit_time"] <= max_fit_time]
    if pool.empty:
        raise InputError(f"no stored tuning cells to verify in {store.root}"
                         + (f" with a fit time of at most {max_fit_time} s" if max_fit_time is not None else ""))
    chosen = pool.sample(n=min(int(sample), len(pool)), random_state=int(seed))
    compare = Comparison(store)
    for rec in _progress(chosen, progress):
        cell = {"dataset": rec["dataset"], "predictor": rec["predictor"], "train_size": int(rec["train_size"]),
                "seed": int(rec["seed"])}
        ds = load_dataset(rec["dataset"])
        if ds.checksum != rec["checksum"]:
            compare.differ.append({**cell, "reason": "the data changed since the record was made"})
            continue
        again = _compute(ds, rec["predictor"], int(rec["train_size"]), [int(rec["seed"])], int(rec["max_iter"]))[0]
        compare.add(cell, rec, again, METRIC_NAMES)
    return compare.result(len(chosen))


def _compute(ds, predictor: str, train_size: int, seeds: Sequence[int], max_iter: int) -> list[dict]:
    """Tuned records of one group: the search scores ``max_iter`` candidates, one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return run_cells(ds, predictor, train_size, list(seeds), hpo_budget=math.inf, hpo_max_iter=max_iter)


def _progress(frame: pd.DataFrame, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(frame.to_dict("records"), desc="verify tuning", unit="cell", disable=not enabled)

