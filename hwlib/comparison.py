"""The predictor comparison (the paper's Section 4, Figure 1): curves, the lookup-table crossing,
per-dataset bests, and variants of a predictor compared on the same splits. The paper's claims
about predictors, checked on these curves, are :mod:`hwlib.claims`.

Everything here works on the records of :func:`hwlib.study.results` (one row per dataset,
predictor, training size and seed, with a ``benchmark`` column).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["stand_ins", "every_dataset", "curves", "curve_table", "lut_means", "lut_crossing", "size_reaching",
           "ranking_agreement", "variant_effect", "released_code_effect", "LONG_SAMPLER", "sampler_effect",
           "fit_time_table", "query_time_table", "measure_query_times", "cpu_hours", "best_per_dataset",
           "least_squares_rank", "least_squares_dips", "undefined_share"]


def stand_ins() -> dict[str, str]:
    """Benchmarks that run on stand-in data here, with what stands in for what the paper used."""
    from .data import PAPER_HWNAS, hard_datasets

    out = {}
    if hard_datasets("hwnas") != list(PAPER_HWNAS):
        out["hwnas"] = "cifar10 stand-ins of the paper's HW-NAS datasets"
    if hard_datasets("transnas")[0].startswith("transnas_micro"):
        out["transnas"] = "TransNAS micro-space stand-in (the paper: macro space)"
    return out


def every_dataset(results: pd.DataFrame, within: Sequence[str] = ("benchmark",)) -> pd.DataFrame:
    """``results`` without the (predictor, training size) points that lack one of the datasets
    (of their ``within`` group, e.g. their benchmark; ``()``: of all of ``results``): a group of
    cells not yet computed would otherwise shift a mean over the datasets. Records whose metric
    is undefined count as present."""
    if results.empty:
        return results
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    within = list(within)
    datasets = (results.groupby(within)["dataset"].transform("nunique") if within
                else pd.Series(results["dataset"].nunique(), index=results.index))
    have = results.groupby([*within, "predictor", size])["dataset"].transform("nunique")
    return results[have == datasets]


def curves(results: pd.DataFrame, metric: str = "kendalltau", complete: bool = True) -> pd.DataFrame:
    """Mean and standard error over seeds of ``metric``, per benchmark, predictor and training size.

    Each seed's value is first averaged over the benchmark's datasets (undefined values left out),
    then the mean and its standard error are taken over seeds: Figure 1's curves and bands. With
    ``complete``, a point that lacks one of its benchmark's datasets is left out
    (:func:`every_dataset`); without, it averages the datasets it has.

    Returns
    -------
    DataFrame
        Columns benchmark, predictor, train_size (nominal), mean, se, seeds.
    """
    results = every_dataset(results) if complete else results
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    per_seed = results.groupby(["benchmark", "predictor", size, "seed"], sort=False)[metric].mean()
    grouped = per_seed.groupby(level=[0, 1, 2], sort=False)
    out = pd.DataFrame({"mean": grouped.mean(), "se": grouped.sem(), "seeds": grouped.count()}).reset_index()
    return out.rename(columns={size: "train_size"})


def curve_table(curve: pd.DataFrame, benchmark: str, value: str = "mean", centred: bool = False) -> pd.DataFrame:
    """One benchmark's curves as a table: predictors (rows) x training sizes (columns).

    With ``centred``, each column has the mean over predictors subtracted (Figure 1, right).
    """
    part = curve[curve["benchmark"] == benchmark]
    order = list(dict.fromkeys(part["predictor"]))
    table = part.pivot(index="predictor", columns="train_size", values=value).reindex(order)
    return table - table.mean(axis=0) if centred else table


def lut_means(datasets: dict[str, list[str]]) -> tuple[pd.Series, pd.DataFrame]:
    """The lookup table's Kendall tau over all architectures: its mean per benchmark, and per dataset.

    ``datasets`` maps a benchmark to its dataset names.
    """
    from .lookup import evaluate_lut

    per = pd.DataFrame([{**evaluate_lut(n), "benchmark": b} for b, names in datasets.items() for n in names])
    return per.groupby("benchmark")["kendalltau"].mean(), per


def lut_crossing(curve: pd.DataFrame, lut_mean: pd.Series) -> pd.DataFrame:
    """The smallest training size at which each predictor's mean tau beats the lookup table's.

    Returns a predictors x benchmarks table (NaN: not within the sizes run).
    """
    out = {}
    for bench in lut_mean.index:
        table = curve_table(curve, bench)
        beats = table.gt(lut_mean[bench])
        out[bench] = beats.idxmax(axis=1).where(beats.any(axis=1))
    return pd.DataFrame(out)


def size_reaching(row: pd.Series, threshold: float) -> float:
    """The training size at which a curve first reaches ``threshold``, interpolated in log size.

    NaN if it never does; the smallest size if it starts above.
    """
    values = row.dropna()
    above = np.flatnonzero(values.to_numpy() >= threshold)
    if not len(above):
        return float("nan")
    i = above[0]
    if i == 0:
        return float(values.index[0])
    (x0, y0), (x1, y1) = (np.log(values.index[i - 1]), values.iloc[i - 1]), (np.log(values.index[i]), values.iloc[i])
    return float(np.exp(x0 + (threshold - y0) * (x1 - x0) / (y1 - y0)))



def best_per_dataset(results: pd.DataFrame, near: int = 124, metric: str = "kendalltau") -> pd.DataFrame:
    """The best predictor of each dataset at the largest training size up to ``near`` (the smallest
    size where none is that small), by mean ``metric`` over seeds.

    Returns
    -------
    DataFrame
        One row per dataset (in the order of ``results``): benchmark, dataset, train_size,
        predictor, and the mean ``metric``.
    """
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    means = results.groupby(["benchmark", "dataset", size, "predictor"], sort=False)[metric].mean()
    rows = []
    for (bench, dataset), part in means.groupby(level=[0, 1], sort=False):
        part = part.droplevel([0, 1]).dropna()
        sizes = sorted(part.index.get_level_values(0).unique())
        n = max([x for x in sizes if x <= near] or sizes[:1])
        at = part.loc[n]
        rows.append({"benchmark": bench, "dataset": dataset, "train_size": n, "predictor": at.idxmax(),
                     metric: float(at.max())})
    return pd.DataFrame(rows)


def least_squares_rank(search_space: str) -> int:
    """The rank of Linear Regression's design (the one-hot encoding and an intercept) over every
    architecture of a search space.

    With that many training samples, ordinary least squares fits the training set exactly (its
    minimum-norm solution), and its test error peaks: the interpolation peak of "double descent".
    Each position's one-hot columns sum to one, so the rank is below the column count.
    """
    from .data import space_archs
    from .encodings import encode

    X = encode(space_archs(search_space), "onehot", search_space)
    return int(np.linalg.matrix_rank(np.hstack([X, np.ones((len(X), 1))])))


#: The search space of each benchmark's datasets in the study.
BENCHMARK_SPACES = {"hwnas": "nb201", "transnas": "transnas_micro"}


def least_squares_dips(curve: pd.DataFrame, within: float = 0.3) -> pd.DataFrame:
    """Linear Regression against Ridge at the training size nearest the rank of Linear Regression's
    design (:func:`least_squares_rank`), per benchmark whose curves hold both and a size within
    ``within`` (relative) of that rank.

    Returns
    -------
    DataFrame
        Columns benchmark, rank, train_size, lr, ridge (mean Kendall tau).
    """
    rows = []
    for bench in curve["benchmark"].unique():
        table, rank = curve_table(curve, bench), least_squares_rank(BENCHMARK_SPACES[bench])
        near = min(table.columns, key=lambda n: abs(n - rank))
        if {"lr", "ridge"} <= set(table.index) and abs(near - rank) <= within * rank:
            rows.append({"benchmark": bench, "rank": rank, "train_size": near,
                         "lr": float(table.loc["lr", near]), "ridge": float(table.loc["ridge", near])})
    return pd.DataFrame(rows, columns=["benchmark", "rank", "train_size", "lr", "ridge"])


def undefined_share(results: pd.DataFrame, predictors) -> pd.DataFrame:
    """Per predictor of ``predictors`` in ``results``: its runs and those with an undefined Kendall tau."""
    part = results[results["predictor"].isin(list(predictors))]
    grouped = part.groupby("predictor")["kendalltau"]
    return pd.DataFrame({"runs": grouped.size(), "undefined": grouped.apply(lambda s: int(s.isna().sum()))})


def ranking_agreement(curve: pd.DataFrame, other: pd.DataFrame) -> dict[str, float]:
    """How two metrics' curves (e.g. Kendall and Spearman) agree on the predictors.

    Returns
    -------
    dict
        ``rank_tau``: mean over (benchmark, size) of Kendall tau between the two orderings of the
        predictors; ``higher``: share of (benchmark, predictor, size) points where ``other`` is
        the larger value.
    """
    from .metrics import kendalltau

    merged = curve.merge(other, on=["benchmark", "predictor", "train_size"], suffixes=("", "_other")).dropna(
        subset=["mean", "mean_other"])
    taus = [kendalltau(g["mean"].to_numpy(), g["mean_other"].to_numpy())
            for _, g in merged.groupby(["benchmark", "train_size"]) if len(g) > 2]
    return {"rank_tau": float(np.nanmean(taus)) if taus else float("nan"),
            "higher": float((merged["mean_other"] > merged["mean"]).mean()) if len(merged) else float("nan")}


def variant_effect(datasets: list[str], predictors: list[str], variants: dict[str, dict], sizes, seeds,
                   store=None, compute: bool = True, progress: bool = False, n_jobs: int = 1) -> pd.DataFrame:
    """Mean Kendall tau of ``predictors`` under two sets of parameters, on the same splits.

    Parameters
    ----------
    datasets, predictors, sizes, seeds
        The cells, as :func:`hwlib.experiments.run_study`.
    variants : dict name -> parameters
        Two variants, in the order of the table's columns; empty parameters: the defaults (the
        study's own cells).
    store, compute, progress, n_jobs
        As :func:`hwlib.experiments.run_study`.

    Returns
    -------
    DataFrame
        One row per (predictor, nominal size): each variant's mean Kendall tau (over seeds, then
        datasets), and ``difference`` (the first variant minus the second).
    """
    from .experiments import run_study

    if len(variants) != 2:
        raise ValueError(f"variant_effect compares two variants; got {list(variants)}")
    frames = []
    for name, params in variants.items():
        runs = run_study(datasets, predictors, sizes, seeds, params={p: dict(params) for p in predictors},
                         store=store, progress=progress, compute=compute, n_jobs=n_jobs)
        frames.append(runs.assign(variant=name))
    first, second = variants
    keys = ["variant", "predictor", "nominal_train_size", "dataset"]
    frames = [f[keys + ["kendalltau"]] for f in frames if len(f)]
    if not frames:                         # nothing stored and nothing computed
        index = pd.MultiIndex.from_arrays([[], []], names=["predictor", "train_size"])
        return pd.DataFrame(columns=[first, second, "difference"], index=index, dtype=float)
    table = (pd.concat(frames).groupby(keys)["kendalltau"].mean()
             .groupby(level=[0, 1, 2]).mean().unstack("variant"))
    table = table.reindex(columns=[first, second])
    table["difference"] = table[first] - table[second]
    return table.rename_axis(index=["predictor", "train_size"], columns=None)


def released_code_effect(datasets: list[str], sizes, seeds, store=None, compute: bool = True,
                         n_jobs: int = 1) -> pd.DataFrame:
    """GCN and BONAS trained as the protocol says against as the released code did.

    The released code never reset its gradients (GCN and BONAS) and dropped the last incomplete
    batch (GCN, batch size 7: no training at all below 7 samples); here both train as the
    protocol says. This runs both ways (``released_code_quirks``) on the same splits.

    Returns
    -------
    DataFrame
        As :func:`variant_effect`: ``protocol`` and ``released`` mean Kendall tau, and
        ``difference`` (protocol - released).
    """
    return variant_effect(datasets, ["gcn", "bonas"], {"protocol": {}, "released": {"released_code_quirks": True}},
                          sizes, seeds, store, compute, n_jobs=n_jobs)


#: pybnn's own sampler length for BOHAMIANN (the defaults of its ``Bohamiann.train``); the
#: released code, and the study, sample 100 steps (10 of burn-in, every 5th network kept).
LONG_SAMPLER = {"num_steps": 13000, "num_burn_in_steps": 3000, "keep_every": 100}


def sampler_effect(datasets: list[str], sizes, seeds, store=None, compute: bool = True,
                   progress: bool = False, n_jobs: int = 1) -> pd.DataFrame:
    """BOHAMIANN sampled as long as pybnn's own defaults (:data:`LONG_SAMPLER`) against the
    released code's 100 steps, on the same splits.

    Returns
    -------
    DataFrame
        As :func:`variant_effect`: ``13000 steps`` and ``100 steps`` mean Kendall tau, and
        ``difference`` (what the longer chain gains).
    """
    return variant_effect(datasets, ["bohamiann"], {"13000 steps": LONG_SAMPLER, "100 steps": {}}, sizes, seeds,
                          store, compute, progress, n_jobs)


def fit_time_table(results: pd.DataFrame) -> pd.DataFrame:
    """Mean fit time (seconds per model) per predictor (rows) and nominal training size, per benchmark."""
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    return results.groupby(["benchmark", "predictor", size], sort=False)["fit_time"].mean().unstack(size)


def query_time_table(results: pd.DataFrame) -> pd.DataFrame:
    """Median recorded query time (CPU seconds for one model to predict its test set) per predictor
    (rows) and nominal training size, per benchmark. Only cells that record one count (stacked
    cells committed before 2 December 2026 do not: :func:`hwlib.experiments.run_cells`); a
    predictor without any is absent."""
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    if "query_time" not in results:
        return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["benchmark", "predictor"]))
    recorded = results[results["query_time"].notna()]
    return recorded.groupby(["benchmark", "predictor", size], sort=False)["query_time"].median().unstack(size)


def measure_query_times(dataset: str, predictors: Sequence[str], train_size: int = 124, seed: int = 0,
                        repeats: int = 5) -> pd.DataFrame:
    """Query time of each predictor measured now: fitted once (defaults) on the protocol's split
    ``seed`` of ``dataset`` with ``train_size`` samples, then timed predicting the split's test set.

    Returns
    -------
    DataFrame
        Index predictor; ``query_s``: the fastest of ``repeats`` predictions of the test set (CPU
        seconds of this process), ``per_arch_us``: the same per architecture (microseconds),
        ``test_archs``, ``train_size``.

    Raises
    ------
    InputError
        An unknown dataset or predictor, one that does not support the dataset's search space, a
        training size out of range.
    """
    import time

    from .data import load_dataset
    from .encodings import encode
    from .experiments import _check_request
    from .predictors import make_regressor
    from .protocol import split, test_set_size

    ds = load_dataset(dataset)
    specs = [_check_request(ds, name, train_size) for name in predictors]   # a clear error first
    test, pool = split(ds.n_archs, seed, test_set_size(ds.search_space, ds.n_archs))
    train, encoded, rows = pool[:train_size], {}, []
    for name, spec in zip(predictors, specs):
        enc = spec.encoding
        X = encoded.setdefault(enc, encode(ds.A, enc, ds.search_space))
        model = make_regressor(name, ds.search_space, random_state=seed).fit(X[train], ds.y_z[train])
        best = np.inf
        for _ in range(repeats):
            t0 = time.process_time()
            model.predict(X[test])
            best = min(best, time.process_time() - t0)
        rows.append({"predictor": name, "query_s": best, "per_arch_us": 1e6 * best / len(test),
                     "test_archs": len(test), "train_size": train_size})
    return pd.DataFrame(rows).set_index("predictor")


def cpu_hours(results: pd.DataFrame) -> pd.Series:
    """CPU-hours spent per predictor: the recorded fit and query times, summed."""
    query = results["query_time"].fillna(0) if "query_time" in results else 0
    return ((results["fit_time"] + query).groupby(results["predictor"], sort=False).sum() / 3600).rename("cpu_hours")
