"""What to expect of a predictor with a given number of measured architectures.

The paper's question asked by a user: *I can measure ``n`` architectures on my device; which
predictor should I train, how well will it rank the rest, and what will that cost my selection?*
The answer is read from the full study's committed records (``results/``; nothing is trained
here): for each predictor, the Kendall tau it reached on the study's datasets of the search
space at ``n`` training samples, how much one run may differ from that (the 10th and 90th
percentile over datasets and seeds), its fit time, and whether it beats the lookup table, which
needs only one measurement per operation. Optionally, what that Kendall tau means for a
hardware-aware selection among ``N`` candidates: the selection simulation's mean reduction in
accuracy at that Kendall tau (chapter "Selection simulation").

Between two of the study's training sizes, every figure is interpolated linearly in the logarithm
of the size (fit times: in log-log); at a study size it is that size's value. A predictor whose
committed records do not bracket ``n`` is left out and listed with the reason. Runs whose Kendall
tau is undefined (a model that predicts one value for all: chapter "Predictor comparison") are
left out, as in the chapter's means; ``runs`` counts the others.

One's own measurements answer the same question more closely: :func:`compare` trains the
predictors on them at a few training sizes (on the study's splits; cached) and reports the same
statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .comparison import every_dataset
from .errors import HwlibError, InputError

__all__ = ["SPACES", "Expectations", "study_records", "expect", "spread", "selection_cost", "SLOW",
           "Comparison", "compare", "choice_check"]

#: Search spaces of the study, with their benchmark.
SPACES = {"nb201": "hwnas", "transnas_micro": "transnas", "transnas_macro": "transnas"}
_NB201_CELLS = 5 ** 6  # every NAS-Bench-201 cell: the most a selection can choose among

#: Percentiles of single runs reported beside the mean.
LOW, HIGH = 10, 90

COLUMNS = ["predictor", "kendalltau", "se", f"p{LOW}", f"p{HIGH}", "spearman", "fit_seconds",
           "query_seconds", "beats_lut", "runs", "sizes"]


@dataclass
class Expectations:
    """What :func:`expect` found.

    Attributes
    ----------
    samples : int
    space : str
    datasets : list of str
        The datasets whose records were read.
    table : DataFrame
        One row per predictor (columns :data:`COLUMNS`; the selection simulation's ``mra_all``
        and ``mra_pareto`` too when asked for), best Kendall tau first.
    lut : float
        The lookup table's mean Kendall tau over all architectures of the same datasets.
    missing : dict
        Predictor -> why it has no row.
    selection_floor : float or None
        With the selection cost: the lowest Kendall tau the simulation reaches (its largest
        deviations); below it the cost is NaN.
    """

    samples: int
    space: str
    datasets: list[str]
    table: pd.DataFrame
    lut: float
    missing: dict[str, str] = field(default_factory=dict)
    selection_floor: float | None = None

    def close_to_best(self, k: float = 2.0) -> pd.DataFrame:
        """The rows whose Kendall tau is within ``k`` standard errors (the best's) of the best."""
        if self.table.empty:
            return self.table
        best = self.table.iloc[0]
        return self.table[self.table["kendalltau"] >= best["kendalltau"] - k * best["se"]]

    def to_dict(self) -> dict:
        """Plain data (for JSON)."""
        rows = self.table.replace({np.nan: None}).to_dict(orient="records")
        return {"samples": self.samples, "space": self.space, "datasets": self.datasets,
                "lut_kendalltau": self.lut, "predictors": rows, "missing": self.missing,
                "selection_floor": self.selection_floor}


def study_records(space: str = "nb201", datasets: Sequence[str] | None = None, store=None) -> pd.DataFrame:
    """The committed records of the full study on the datasets of ``space`` (default: all of them
    in the study) or on ``datasets``: the predictors at their defaults (not the variants stored
    beside them, :func:`hwlib.experiments.at_defaults`).

    Raises
    ------
    InputError
        An unknown space, a dataset not in that space or not in the study.
    """
    from .data import load_dataset
    from .experiments import load_results
    from .study import study_datasets, study_store

    if space not in SPACES:
        raise InputError(f"unknown search space {space!r}; one of {', '.join(SPACES)}")
    known = [d for d in study_datasets() if load_dataset(d).search_space == space]
    if datasets is None:
        datasets = known
    for name in datasets:
        if name not in known:
            raise InputError(f"dataset {name!r} is not one of the study's datasets in {space}: "
                             f"{', '.join(known) or 'none at hand'}")
    if not datasets:
        raise InputError(f"no dataset of the study in search space {space!r} is at hand")
    return load_results(store or study_store("full", compute=False), datasets=list(datasets), defaults_only=True)


def _per_size(runs: pd.DataFrame) -> pd.DataFrame:
    """One predictor's statistics per nominal training size (index)."""
    size = "nominal_train_size" if "nominal_train_size" in runs else "train_size"
    runs = runs.astype({"kendalltau": float, "spearman": float})   # undefined: None in fresh records
    per_seed = runs.groupby([size, "seed"])[["kendalltau", "spearman"]].mean()
    by = per_seed.groupby(level=0)
    tau = runs.groupby(size)["kendalltau"]
    query = runs["query_time"] if "query_time" in runs else pd.Series(np.nan, index=runs.index)
    return pd.DataFrame({
        "kendalltau": by["kendalltau"].mean(), "se": by["kendalltau"].sem(),
        f"p{LOW}": tau.quantile(LOW / 100), f"p{HIGH}": tau.quantile(HIGH / 100),
        "spearman": by["spearman"].mean(),
        "fit_seconds": runs.groupby(size)["fit_time"].mean(),
        "query_seconds": query.astype(float).groupby(runs[size]).mean(), "runs": tau.count()}).sort_index()


def spread(results: pd.DataFrame, predictors: Sequence[str] | None = None) -> pd.DataFrame:
    """Each predictor's statistics at every training size of ``results`` that every dataset of
    ``results`` holds (:func:`hwlib.comparison.every_dataset`): the mean Kendall tau (over seeds,
    each the mean over the datasets), its standard error, the percentiles of single runs,
    Spearman's rho, fit and query time and runs. ``fit_seconds``: CPU seconds to train one model;
    ``query_seconds``: to predict its test set, NaN where no run recorded it (the stacked torch
    models' records made before 2026-12-02 count their prediction in ``fit_seconds``).

    Returns
    -------
    DataFrame
        Columns predictor, train_size, then those of :func:`expect`'s table.
    """
    names = list(predictors) if predictors is not None else list(dict.fromkeys(results["predictor"]))
    results = every_dataset(results, within=())
    frames = [_per_size(results[results["predictor"] == p]).rename_axis("train_size").reset_index()
              .assign(predictor=p) for p in names if (results["predictor"] == p).any()]
    if not frames:
        return pd.DataFrame(columns=["predictor", "train_size"]
                            + [c for c in COLUMNS[1:] if c not in ("beats_lut", "sizes")])
    out = pd.concat(frames, ignore_index=True)
    return out[["predictor", "train_size"] + [c for c in out.columns if c not in ("predictor", "train_size")]]


def _at(stats: pd.DataFrame, samples: int) -> tuple[dict | None, str]:
    """``stats`` (per size) read at ``samples``: the row, interpolated in log size, and the sizes
    used; or None and why."""
    sizes = stats.index.to_numpy()
    if samples in stats.index:
        return stats.loc[samples].to_dict(), str(samples)
    below, above = sizes[sizes < samples], sizes[sizes > samples]
    if not len(below) or not len(above):
        return None, f"records at {sizes.min()}-{sizes.max()} samples only" if len(sizes) else "no records"
    a, b = below.max(), above.min()
    w = (np.log(samples) - np.log(a)) / (np.log(b) - np.log(a))
    lo, hi = stats.loc[a], stats.loc[b]
    row = ((1 - w) * lo + w * hi).to_dict()
    for seconds in ("fit_seconds", "query_seconds"):   # (NaN where either size lacks it)
        row[seconds] = float(np.exp((1 - w) * np.log(np.maximum(lo[seconds], 1e-9))
                                    + w * np.log(np.maximum(hi[seconds], 1e-9))))
    row["runs"] = int(min(lo["runs"], hi["runs"]))
    return row, f"{a}-{b}"


def expect(samples: int, space: str = "nb201", datasets: Sequence[str] | None = None,
           results: pd.DataFrame | None = None, select_from: int | None = None,
           trials: int = 1000) -> Expectations:
    """What each predictor reaches with ``samples`` training architectures in ``space``.

    Parameters
    ----------
    samples : int
        Measured architectures to train on; within the study's training sizes of ``space``
        (5-15000 on NB201, 5-2999 on TransNAS).
    space : {'nb201', 'transnas_micro', 'transnas_macro'}
    datasets : list of str, optional
        The study's datasets to read (default: all of ``space``).
    results : DataFrame, optional
        Records as :func:`study_records` returns them (default: those).
    select_from : int, optional
        Also the selection simulation's MRA at each predictor's Kendall tau when selecting from
        this many architectures (NB201 only; see :func:`selection_cost`).
    trials : int
        Simulation trials per deviation level (with ``select_from``).

    Returns
    -------
    Expectations
    """
    from .lookup import evaluate_lut
    from .protocol import nominal_train_sizes

    if space not in SPACES:
        raise InputError(f"unknown search space {space!r}; one of {', '.join(SPACES)}")
    grid = nominal_train_sizes(space)
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) \
            or not grid[0] <= samples <= grid[-1]:
        raise InputError(f"samples must be an integer within the study's training sizes of {space}, "
                         f"{grid[0]}-{grid[-1]}; got {samples!r}")
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InputError(f"trials must be an integer >= 1, got {trials!r}")
    if select_from is not None and space != "nb201":
        raise InputError("select_from: the selection simulation runs on NB201 (HW-NAS-Bench) datasets only; "
                         f"got search space {space!r}")
    if results is None:
        results = study_records(space, datasets)
    elif datasets is not None:
        results = results[results["dataset"].isin(datasets)]
    if results.empty:
        raise InputError(f"no committed study records for {space}"
                         + (f" on {', '.join(datasets)}" if datasets else ""))
    names = sorted(results["dataset"].unique())
    lut = float(np.mean([evaluate_lut(name)["kendalltau"] for name in names]))
    rows, missing = [], {}
    complete = every_dataset(results, within=())        # a size counts once every dataset has it
    for predictor in dict.fromkeys(results["predictor"]):
        runs = complete[complete["predictor"] == predictor]
        row, sizes = _at(_per_size(runs), int(samples))
        if row is None:
            missing[predictor] = sizes
            continue
        rows.append({"predictor": predictor, **row, "runs": int(row["runs"]),
                     "beats_lut": bool(row["kendalltau"] > lut), "sizes": sizes})
    table = pd.DataFrame(rows, columns=COLUMNS)
    table = table.sort_values("kendalltau", ascending=False, ignore_index=True)
    floor = None
    if select_from is not None:
        cost = selection_cost(table["kendalltau"], select_from, trials)
        table, floor = pd.concat([table, cost], axis=1), cost.attrs["lowest_kendalltau"]
    return Expectations(int(samples), space, names, table, lut, missing, floor)


def selection_cost(kendalltau: pd.Series, select_from: int, trials: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The selection simulation's mean reduction in accuracy at given Kendall taus.

    Runs (or reads from the store) the simulation on the HW-NAS datasets of the chapter
    "Selection simulation" at ``select_from`` architectures, every deviation level, averages it
    over the datasets, and interpolates ``mra_all`` (the selection as predicted) and
    ``mra_pareto`` (after measuring the selected architectures) at each Kendall tau; NaN below
    the simulated range.

    Returns
    -------
    DataFrame
        Columns ``mra_all``, ``mra_pareto``, aligned with ``kendalltau``; ``attrs['lowest_kendalltau']``:
        the lowest Kendall tau simulated.
    """
    from . import simulation as sim
    from .data import hard_datasets

    if isinstance(select_from, bool) or not isinstance(select_from, (int, np.integer)) \
            or not 10 <= select_from <= _NB201_CELLS:
        raise InputError(f"select_from must be an integer in 10..{_NB201_CELLS} (NB201 architectures); "
                         f"got {select_from!r}")
    grid = sim.run_grid(hard_datasets("hwnas"), sizes=[int(select_from)], trials=trials, seed=seed,
                        progress=False)
    curve = grid.groupby("std")[["kendalltau", "mra_all", "mra_pareto"]].mean().sort_values("kendalltau")
    taus = kendalltau.to_numpy(float)
    inside = taus >= curve["kendalltau"].iloc[0]
    out = pd.DataFrame({m: np.where(inside, np.interp(taus, curve["kendalltau"], curve[m]), np.nan)
                        for m in ("mra_all", "mra_pareto")}, index=kendalltau.index)
    out.attrs["lowest_kendalltau"] = float(curve["kendalltau"].iloc[0])
    return out


#: Predictors :func:`compare` leaves out unless asked for: a fit of each takes minutes on one core.
SLOW = ("gcn", "bonas", "nao")
#: :func:`compare`'s default training sizes: the protocol's, up to this many and the pool.
_COMPARE_MAX_SIZE = 1000


@dataclass
class Comparison:
    """What :func:`compare` found.

    Attributes
    ----------
    dataset : str
    table : DataFrame
        One row per (predictor, train size): :func:`spread`'s columns, ``kind`` (``'single'``:
        trained on the dataset alone; ``'transfer'``: a method of :mod:`hwlib.transfer`, the other
        devices' measurements beside; ``label`` says so), and ``close_to_best`` (within two
        standard errors, the best's, of the best Kendall tau at that size). ``fit_seconds``: CPU
        seconds of a single-device fit, wall seconds of a transfer fit; ``query_seconds``: CPU
        seconds of a single-device model's prediction of the test set. With ``select_from``, also
        ``mra_all`` and ``mra_pareto`` (:func:`selection_cost`).
    lut : float or None
        The lookup table's Kendall tau over all architectures; None where the data cannot build
        one (``lut_note`` says why).
    lut_note : str
    """

    dataset: str
    table: pd.DataFrame
    lut: float | None
    lut_note: str = ""

    def best(self, size: int) -> pd.DataFrame:
        """The rows close to the best at ``size``, best first."""
        rows = self.table[(self.table["train_size"] == size) & self.table["close_to_best"]]
        return rows.sort_values("kendalltau", ascending=False, ignore_index=True)

    def to_dict(self) -> dict:
        """Plain data (for JSON)."""
        return {"dataset": self.dataset, "lut_kendalltau": self.lut, "lut_note": self.lut_note,
                "runs": self.table.replace({np.nan: None}).to_dict(orient="records")}


def compare(dataset: str, sizes: Sequence[int] | None = None, predictors: Sequence[str] | None = None,
            seeds: Sequence[int] = range(5), transfer: str | None = None, select_from: int | None = None,
            trials: int = 1000, store=None, progress: bool = False, n_jobs: int = 1) -> Comparison:
    """Each predictor trained now on one dataset (one's own measurements, say) at a few training sizes.

    Parameters
    ----------
    dataset : str
        A dataset name (:func:`hwlib.data.register_measurements` makes one of a CSV file).
    sizes : sequence of int, optional
        Training sizes, each within the dataset's training pool; default: the protocol's sizes
        up to 1000 that the pool holds.
    predictors : sequence of str, optional
        Default: every trained predictor of the dataset's search space but :data:`SLOW`.
    seeds : sequence of int
        The study's splits and model seeds (default 0-4).
    transfer : {'others', 'others+proxies'}, optional
        Also every transfer method of :mod:`hwlib.transfer` on the same splits, with the other
        devices' measurements of the same NB201 cells as sources (and with ``'others+proxies'``
        the networks' FLOPs and parameter counts); None: the single-device predictors only.
    select_from, trials : int, optional
        Also the selection simulation's mean reduction in accuracy at each Kendall tau when
        selecting among ``select_from`` architectures (NB201; :func:`selection_cost`).
    store : hwlib.store.Store, optional
        Where the cells are read and kept (default: the project's cache); a rerun trains nothing.
    n_jobs : int
        Worker processes for the cells not yet stored (and the transfer's new sources).

    Returns
    -------
    Comparison

    Raises
    ------
    InputError
        An unknown dataset or predictor, a predictor that does not support the dataset's search
        space, a size outside the pool, no seeds, transfer off NB201 or from an unknown source set.
    """
    from .data import load_dataset
    from .experiments import run_study
    from .predictors import get_spec, list_predictors
    from .protocol import nominal_train_sizes, test_set_size
    from .store import default_store

    ds = load_dataset(dataset)
    pool = ds.n_archs - test_set_size(ds.search_space, ds.n_archs)
    if sizes is None:
        sizes = [n for n in nominal_train_sizes(ds.search_space) if n <= min(pool, _COMPARE_MAX_SIZE)]
    sizes = sorted({int(n) for n in sizes})
    if not sizes or sizes[0] < 1 or sizes[-1] > pool:
        raise InputError(f"sizes must lie in 1..{pool} (the training pool of {ds.name}: {ds.n_archs} "
                         f"architectures minus {ds.n_archs - pool} for testing); got {sizes or 'none'}")
    if predictors is None:
        predictors = [p for p in list_predictors() if p != "lut" and p not in SLOW
                      and ds.search_space in get_spec(p).spaces]
    for name in predictors:
        if ds.search_space not in get_spec(name).spaces:   # an unknown name raises here too
            raise InputError(f"predictor {name!r} does not support {ds.name} (search space {ds.search_space})")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("seeds: give at least one")
    for option, given in (("transfer", transfer), ("select_from", select_from)):
        if given is not None and ds.search_space != "nb201":
            raise InputError(f"{option}: it needs NB201 cells (the other devices' measurements, the selection "
                             f"simulation); {ds.name} holds {ds.search_space} architectures")
    store = store or default_store()
    results = run_study([ds.name], list(predictors), sizes, seeds, store=store, progress=progress, n_jobs=n_jobs)
    table = spread(results, predictors).assign(kind="single")
    if transfer is not None:
        from .transfer import list_methods, lodo_study

        runs = lodo_study([ds.name], seeds, sizes, store=store, progress=progress, sources=transfer, n_jobs=n_jobs)
        runs = runs.rename(columns={"method": "predictor", "target": "dataset"})
        table = pd.concat([table, spread(runs, list_methods()).assign(kind="transfer")], ignore_index=True)
    table["label"] = table["predictor"].where(table["kind"] == "single", table["predictor"] + " (transfer)")
    if select_from is not None:
        table = pd.concat([table, selection_cost(table["kendalltau"], select_from, trials)], axis=1)
    top = table.sort_values("kendalltau", ascending=False).groupby("train_size").head(1)   # NaN last
    floor = table["train_size"].map((top["kendalltau"] - 2 * top["se"].fillna(0)).set_axis(top["train_size"]))
    table["close_to_best"] = table["kendalltau"] >= floor
    lut, note = _lut_or_why(ds.name)
    return Comparison(ds.name, table, lut, note)


def _lut_or_why(name: str) -> tuple[float | None, str]:
    from .lookup import evaluate_lut

    try:
        found = evaluate_lut(name)
    except HwlibError as exc:
        return None, str(exc)
    return float(found["kendalltau"]), f"from {found['n_measured']} measurements"


def choice_check(found: Comparison, reference: pd.DataFrame, size: int) -> tuple[pd.DataFrame, dict]:
    """How well a comparison on a sample chooses: its single-device predictors at ``size`` beside
    the same predictors on the whole dataset.

    Parameters
    ----------
    found : Comparison
        :func:`compare` on a sample of a dataset (:func:`hwlib.data.register_sample`).
    reference : DataFrame
        :func:`spread` rows of the same predictors on the whole dataset (the study's records).
    size : int
        A training size of both.

    Returns
    -------
    (DataFrame, dict)
        Per predictor: ``sample`` and ``sample_se`` (its Kendall tau on the sample's test half),
        ``whole`` and ``whole_se`` (on the whole dataset's test set), best on the sample first;
        and ``chosen`` (best on the sample), ``chosen_whole`` (its tau on the whole dataset),
        ``best`` and ``best_whole`` (the whole dataset's best), ``loss`` (``best_whole -
        chosen_whole``), ``agreement`` (Kendall tau between the two orders of the predictors).

    Raises
    ------
    InputError
        ``size`` not run in both.
    """
    from .metrics import kendalltau

    mine = found.table[(found.table["kind"] == "single") & (found.table["train_size"] == size)]
    whole = reference[reference["train_size"] == size].set_index("predictor")
    if mine.empty or whole.empty:
        raise InputError(f"size {size} is not run in both the comparison and the reference")
    table = pd.DataFrame({"sample": mine.set_index("predictor")["kendalltau"],
                          "sample_se": mine.set_index("predictor")["se"],
                          "whole": whole["kendalltau"], "whole_se": whole["se"]}).dropna()
    table = table.sort_values("sample", ascending=False)
    chosen, best = table.index[0], table["whole"].idxmax()
    return table, {"chosen": chosen, "chosen_whole": float(table.at[chosen, "whole"]), "best": best,
                   "best_whole": float(table.at[best, "whole"]),
                   "loss": float(table.at[best, "whole"] - table.at[chosen, "whole"]),
                   "agreement": float(kendalltau(table["sample"].to_numpy(), table["whole"].to_numpy()))}
