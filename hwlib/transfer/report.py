"""Tables and figures of the chapter "Transfer across devices" (one function each; figures return
the matplotlib Figure), and the chapter's run settings per profile."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import InputError
from ..plotting import predictor_style
from . import HELP_PUBLISHED, HELP_TARGETS, LODO_SIZES, NASFLAT_REPORTED, STRONGEST, TRANSFER_REGISTRY

__all__ = ["settings", "run_all", "GOALS", "help_table", "help_goals", "nasflat_table", "own_data_fit",
           "plot_nasflat", "sampler_table", "lodo_curves", "lodo_table", "proxies_table", "selection_table",
           "plot_help", "plot_lodo", "plot_selection", "short", "single_at", "beside_default", "OWN_TARGET",
           "NASFLAT_SIZES"]

#: The issue's goals: HELP protocol mean Spearman and worst device; LODO: 10 samples vs 124.
GOALS = {"help_mean": 0.95, "help_min": 0.90, "lodo_size": 10, "lodo_reference_size": 124}


def settings(profile: str) -> dict:
    """Seeds, baselines and simulation sizes of the chapter in ``profile`` (:mod:`hwlib.profiles`)."""
    from ..profiles import settings as profile_settings

    cfg = profile_settings("transfer", profile)
    return {"seeds": list(range(cfg.seeds)), "baselines": list(cfg.baselines),
            "selection_singles": list(cfg.selection_singles), "selection_trials": cfg.selection_trials}


def run_all(profile: str, store=None, progress: bool = True) -> dict[str, pd.DataFrame]:
    """Every experiment of the chapter in ``profile``: HELP's protocol, leave one device out (transfer
    and single-device), and the selection simulation; read from ``store`` where done.

    Returns
    -------
    dict
        ``help``, ``help_sizes`` (the default method, :data:`STRONGEST`, with the other numbers of
        target samples NASFLAT reports, :data:`NASFLAT_SIZES`), ``help_spread`` (the same sizes, the samples spread
        along the sources' consensus), ``lodo``, ``lodo_proxies`` (leave one device out
        with the networks' FLOPs and parameter counts as two more sources), ``baselines``,
        ``selection``: the runs' records;
        ``own`` and ``own_baselines``: leave one device out with this project's CPU
        (:data:`OWN_TARGET`) the target, where its measurements are at hand; ``gpu`` and
        ``gpu_baselines``: the same with the project's GPU pass (:func:`hwlib.devices.gpu_dataset`,
        a sample of the space: sizes up to what its pool holds).
    """
    from ..data import hard_datasets, list_datasets
    from ..simulation import accuracy_matched_datasets
    from . import help_study, lodo_baselines, lodo_study, selection_study

    from ..devices import gpu_dataset

    cfg, hard = settings(profile), hard_datasets("hwnas")
    own = [OWN_TARGET] if OWN_TARGET in list_datasets() else []
    gpu = [name for name in [gpu_dataset()] if name is not None]
    return {
        **_sample_target(gpu, "gpu", cfg, store, progress),
        "own": lodo_study(own, cfg["seeds"], store=store, progress=progress) if own else pd.DataFrame(),
        "own_baselines": lodo_baselines(own, cfg["baselines"], cfg["seeds"], progress=progress) if own
        else pd.DataFrame(),
        "help": help_study(cfg["seeds"], store=store, progress=progress),
        "help_sizes": pd.concat([help_study(cfg["seeds"], [STRONGEST], train_size=n, store=store, progress=progress)
                                 for n in NASFLAT_SIZES if n != 10], ignore_index=True),
        "help_spread": pd.concat([help_study(cfg["seeds"], [STRONGEST], train_size=n, store=store, progress=progress,
                                             sampler="spread") for n in NASFLAT_SIZES], ignore_index=True),
        "lodo": lodo_study(hard, cfg["seeds"], store=store, progress=progress),
        "lodo_proxies": lodo_study(hard, cfg["seeds"], store=store, progress=progress, sources="others+proxies"),
        "baselines": lodo_baselines(hard, cfg["baselines"], cfg["seeds"], progress=progress),
        "selection": selection_study(accuracy_matched_datasets(), ("consensus_ensemble", "anchored_ensemble"),
                                     singles=cfg["selection_singles"],
                                     trials=cfg["selection_trials"], store=store, progress=progress),
    }


def _sample_target(targets: list[str], key: str, cfg: dict, store, progress: bool) -> dict[str, pd.DataFrame]:
    """Leave one device out for targets measured on a sample of the space: the study's sizes up
    to the pool the test set leaves (``key`` and ``key_baselines``; empty without targets)."""
    from ..data import load_dataset
    from ..protocol import test_set_size
    from . import BASELINE_SIZES, LODO_SIZES, lodo_baselines, lodo_study

    if not targets:
        return {key: pd.DataFrame(), f"{key}_baselines": pd.DataFrame()}
    pool = min(ds.n_archs - test_set_size(ds.search_space, ds.n_archs) for ds in map(load_dataset, targets))
    return {key: lodo_study(targets, cfg["seeds"], sizes=[n for n in LODO_SIZES if n <= pool], store=store,
                            progress=progress),
            f"{key}_baselines": lodo_baselines(targets, cfg["baselines"], cfg["seeds"],
                                               sizes=[n for n in BASELINE_SIZES if n <= pool], progress=progress)}


#: The numbers of target samples NASFLAT reports on HELP's split (:data:`NASFLAT_REPORTED`).
NASFLAT_SIZES = tuple(sorted(NASFLAT_REPORTED))

#: This project's own CPU, the new device of the last experiment of chapter "Transfer across devices".
OWN_TARGET = "own-cpu_latency"


def short(name: str) -> str:
    """``'cifar10-raspi4_latency'`` -> ``'raspi4_latency'``, ``'help-pixel2'`` -> ``'pixel2'``."""
    return name.split("@")[0].replace("cifar10-", "").replace("help-", "")


def help_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean Spearman per HELP target (rows, plus ``mean``) and method (columns), the default
    method's (:data:`STRONGEST`) Kendall tau and 5th-percentile Spearman over seeds, and HELP's
    published Spearman."""
    table = runs.pivot_table(index="target", columns="method", values="spearman", aggfunc="mean")
    table = table.reindex(index=list(HELP_TARGETS), columns=[m for m in TRANSFER_REGISTRY if m in table])
    best = runs[runs["method"] == STRONGEST].groupby("target")
    table[f"{STRONGEST} tau"] = best["kendalltau"].mean()
    table[f"{STRONGEST} p5"] = best["spearman"].quantile(0.05)
    table["HELP (published)"] = pd.Series(HELP_PUBLISHED)
    table.loc["mean"] = table.mean()
    table.index = [short(i) if i != "mean" else i for i in table.index]
    return table


def help_goals(table: pd.DataFrame, level: float = 0.0) -> dict:
    """Whether the default method meets the goals (mean Spearman, worst device) and where it beats
    HELP's published number by more than ``level`` (``beats``), falls short by more (``misses``) or
    neither (``level``); the differences rounded to three decimals, as the tables show them."""
    ours = table[STRONGEST].drop("mean")
    helps = table["HELP (published)"].drop("mean")
    diff = (ours - helps).round(3)
    return {"mean": float(ours.mean()), "worst": float(ours.min()), "worst_device": str(ours.idxmin()),
            "mean_ok": bool(ours.mean() >= GOALS["help_mean"]), "min_ok": bool(ours.min() >= GOALS["help_min"]),
            "help_mean": float(helps.mean()), "beats": diff.index[diff > level].tolist(),
            "misses": diff.index[diff < -level].tolist(), "level": diff.index[diff.abs() <= level].tolist()}


def nasflat_table(help_runs: pd.DataFrame, size_runs: pd.DataFrame, sizes: Sequence[int] = (10, 20)
                  ) -> pd.DataFrame:
    """The default method's (:data:`STRONGEST`) mean Spearman per HELP target beside NASFLAT's
    (:data:`NASFLAT_REPORTED`) with each of ``sizes`` target samples, and HELP's published number
    (10 samples); a ``mean`` row.
    ``help_runs`` and ``size_runs``: :func:`~hwlib.transfer.help_study` records (any sizes)."""
    runs = pd.concat([help_runs, size_runs], ignore_index=True)
    ours = runs[runs["method"] == STRONGEST].groupby(["train_size", "target"])["spearman"].mean()
    cols = {}
    for size in sizes:
        if size not in ours.index.get_level_values(0):
            raise InputError(f"no runs of {STRONGEST} with {size} target samples")
        cols[f"ours @{size}"] = ours[size]
        cols[f"NASFLAT @{size}"] = pd.Series(NASFLAT_REPORTED[size])
    cols["HELP @10"] = pd.Series(HELP_PUBLISHED)
    table = pd.DataFrame(cols).reindex(list(HELP_TARGETS))
    table.loc["mean"] = table.mean()
    table.index = [short(i) if i != "mean" else i for i in table.index]
    return table


def own_data_fit(targets: Sequence[str] = HELP_TARGETS) -> pd.Series:
    """Per target (short names): the Spearman correlation of its measurements with a model of them
    fit on its other cells (:func:`hwlib.analysis.own_data_fit`): how well one tree model ranks
    the measurements with almost all of them to learn from; not a ceiling (a better model, or the
    other devices, can rank them better)."""
    from ..analysis import own_data_fit as fit

    found = fit(list(targets))
    return pd.Series(found["spearman"].to_numpy(), index=[short(t) for t in found["dataset"]],
                     name="own data, out of fold")


def plot_nasflat(table: pd.DataFrame) -> plt.Figure:
    """Mean and worst-device Spearman against the number of target samples: the default method,
    NASFLAT, and HELP's published point (from :func:`nasflat_table` over :data:`NASFLAT_SIZES`)."""
    devices = table.drop("mean")
    styles = {"ours": {"marker": "o", "color": "C0"}, "NASFLAT": {"marker": "s", "color": "C3", "ls": "--"}}
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.0), sharey=True)
    for ax, (title, agg) in zip(axes, (("mean over the six devices", "mean"), ("worst device", "min"))):
        for who, style in styles.items():
            cols = [c for c in table if c.startswith(f"{who} @")]
            sizes = [int(c.split("@")[1]) for c in cols]
            label = f"{TRANSFER_REGISTRY[STRONGEST].label} (ours)" if who == "ours" else "NASFLAT (reported)"
            ax.plot(sizes, devices[cols].agg(agg).to_numpy(), label=label, **style)
        ax.plot([10], [devices["HELP @10"].agg(agg)], "k^", label="HELP (published)")
        ax.axhline(GOALS["help_min"], ls=":", color="gray", lw=1)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("target samples")
        ax.set_xticks(sizes)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("Spearman")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def sampler_table(random_runs: pd.DataFrame, spread_runs: pd.DataFrame) -> pd.DataFrame:
    """Per number of target samples (rows): the default method's Spearman on HELP's devices with
    random and with spread samples (:func:`~hwlib.transfer.sampling.spread_cells`), the mean over
    the six devices and the worst device, and the change; sizes that both hold."""
    out = {}
    for name, runs in (("random", random_runs), ("spread", spread_runs)):
        per_device = (runs[runs["method"] == STRONGEST].groupby(["train_size", "target"])["spearman"].mean()
                      .unstack("target"))
        out[(name, "mean")], out[(name, "worst device")] = per_device.mean(1), per_device.min(1)
    table = pd.DataFrame(out).dropna()
    for what in ("mean", "worst device"):
        table[("spread - random", what)] = table[("spread", what)] - table[("random", what)]
    table.index.name = "target samples"
    return table


def lodo_curves(runs: pd.DataFrame, baselines: pd.DataFrame) -> pd.DataFrame:
    """Mean Kendall tau per (dataset, predictor, train size): transfer methods and single-device ones.

    Returns
    -------
    DataFrame
        Columns dataset, kind (``'transfer'``/``'single'``), predictor, train_size, kendalltau, sd.
    """
    t = runs.rename(columns={"target": "dataset", "method": "predictor"}).assign(kind="transfer")
    b = baselines.assign(kind="single")
    both = pd.concat([t[["dataset", "kind", "predictor", "train_size", "kendalltau"]],
                      b[["dataset", "kind", "predictor", "train_size", "kendalltau"]]], ignore_index=True)
    grouped = both.groupby(["dataset", "kind", "predictor", "train_size"])["kendalltau"]
    return grouped.agg(kendalltau="mean", sd="std").reset_index()


def lodo_table(curves: pd.DataFrame, size: int = GOALS["lodo_size"],
               reference: int = GOALS["lodo_reference_size"]) -> pd.DataFrame:
    """Per dataset: each transfer method's tau at ``size`` samples, the best single-device predictor at
    ``reference`` samples (name and tau), and whether the default transfer method beats it."""
    tr = curves[(curves["kind"] == "transfer") & (curves["train_size"] == size)]
    table = tr.pivot_table(index="dataset", columns="predictor", values="kendalltau")
    table = table[[m for m in TRANSFER_REGISTRY if m in table]]
    single = curves[(curves["kind"] == "single") & (curves["train_size"] == reference)]
    best = single.loc[single.groupby("dataset")["kendalltau"].idxmax()].set_index("dataset")
    table[f"best single @{reference}"] = best["predictor"]
    table[f"its tau @{reference}"] = best["kendalltau"]
    table["beats"] = table[STRONGEST] > table[f"its tau @{reference}"]
    table.index = [short(i) for i in table.index]
    return table


def single_at(curves: pd.DataFrame, dataset: str, predictor: str, size: int) -> tuple[int, float]:
    """A single-device predictor's mean tau on ``dataset`` at the smallest size run of at least
    ``size``: (that size, tau)."""
    part = curves[(curves["kind"] == "single") & (curves["dataset"] == dataset)
                  & (curves["predictor"] == predictor) & (curves["train_size"] >= size)]
    if part.empty:
        raise InputError(f"{predictor} has no run of at least {size} samples on {dataset}")
    row = part.sort_values("train_size").iloc[0]
    return int(row["train_size"]), float(row["kendalltau"])


def beside_default(row: pd.Series, level: float = 0.0) -> str:
    """Text for the method of ``row`` (one score per transfer method) that scores highest, when it is
    not the default: ' (METHOD SCORE, level with it)' when it leads the default by at most ``level``
    (rounded to three decimals, as the tables show it), ' (METHOD SCORE, above it)' otherwise; '' when
    the default scores highest."""
    methods = [m for m in TRANSFER_REGISTRY if m in row.index]
    if STRONGEST not in methods:
        raise InputError(f"the row holds no score of the default method {STRONGEST!r}")
    top = row[methods].astype(float).idxmax()
    if top == STRONGEST:
        return ""
    lead = round(float(row[top]) - float(row[STRONGEST]), 3)
    return f" ({top} {float(row[top]):.3f}, {'level with it' if lead <= level else 'above it'})"


def proxies_table(devices: pd.DataFrame, proxies: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: the ensembles' tau at 10 samples from the other devices alone and with FLOPs and
    parameters as sources, beside the best single-device predictor at 124 (two :func:`lodo_table`);
    ``beaten with proxies``: the anchor chosen by the jackknife, with the proxies, beats it."""
    cols = [m for m in ("consensus_ensemble", "anchored_ensemble", "selected_ensemble") if m in devices]
    ref = [f"best single @{GOALS['lodo_reference_size']}", f"its tau @{GOALS['lodo_reference_size']}"]
    table = pd.concat({"devices": devices[cols], "devices + FLOPs, params": proxies[cols]}, axis=1)
    for c in ref:
        table[("reference", c)] = devices[c]
    # one method fixed in advance, not the best of several picked afterwards
    table[("reference", "beaten with proxies")] = proxies["selected_ensemble"] > devices[ref[1]]
    return table


def selection_table(sel: pd.DataFrame) -> pd.DataFrame:
    """Means over datasets and trials per (kind, predictor, n_train): Kendall tau over the candidates,
    MRA_all, MRA_pareto (percentage points), HV of the selection and its loss against the true front."""
    sel = sel.assign(hv_loss=sel["hv_true"] - sel["hv_selected"])
    cols = ["kendalltau", "mra_all", "mra_pareto", "hv_selected", "hv_loss", "n_selected"]
    return sel.groupby(["kind", "predictor", "n_train"])[cols].mean().sort_values("mra_all")


def plot_help(table: pd.DataFrame) -> plt.Figure:
    """Bars of mean Spearman per HELP target: each method and HELP's published number."""
    rows = table.drop("mean")
    cols = [c for c in TRANSFER_REGISTRY if c in rows] + ["HELP (published)"]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / len(cols)
    x = np.arange(len(rows))
    for i, col in enumerate(cols):
        label = TRANSFER_REGISTRY[col].label if col in TRANSFER_REGISTRY else col
        ax.bar(x + i * width, rows[col], width, label=label, color="k" if col.startswith("HELP") else None)
    ax.axhline(GOALS["help_min"], ls="--", color="gray", lw=1)
    ax.set_xticks(x + 0.4 - width / 2, rows.index, fontsize=8)
    ax.set_ylim(0.6, 1.0)
    ax.set_ylabel("Spearman (all 15625 cells)")
    ax.legend(fontsize=7, ncols=3, loc="lower left")
    fig.tight_layout()
    return fig


def plot_lodo(curves: pd.DataFrame, singles: Sequence[str] | None = None,
              points: dict[str, tuple[float, float, str]] | None = None) -> plt.Figure:
    """Kendall tau against training size, one panel per dataset: transfer methods (solid) and
    single-device predictors (dashed); ``points``: a single result per dataset to mark with a star,
    as ``{dataset: (train size, Kendall tau, label)}``."""
    names = list(dict.fromkeys(curves["dataset"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.0 * len(names), 3.0), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        sub = curves[curves["dataset"] == name]
        for (kind, pred), line in sub.groupby(["kind", "predictor"], sort=False):
            if kind == "single" and singles is not None and pred not in singles:
                continue
            style = predictor_style(pred) if kind == "single" else {"marker": "o"}
            ax.plot(line["train_size"], line["kendalltau"], ms=3, **style,
                    ls="-" if kind == "transfer" else "--", label=pred)
        ax.set_xscale("log")
        ticks = [s for s in LODO_SIZES if s != 11]          # 10 and 11 would overprint
        ax.set_xticks(ticks, [str(s) for s in ticks], fontsize=7)
        if points and name in points:
            x, y, label = points[name]
            ax.plot([x], [y], "k*", ms=10, ls="none", label=label)
        ax.set_title(short(name), fontsize=9)
        ax.set_xlabel("target samples")
    axes[0, 0].set_ylabel("Kendall tau (625 test cells)")
    legend = {label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}
    fig.legend(legend.values(), legend.keys(), fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def plot_selection(table: pd.DataFrame) -> plt.Figure:
    """MRA_all, MRA_pareto and HV loss of each (predictor, training size), transfer first."""
    table = table.reset_index()
    labels = [f"{r.predictor} ({r.kind}, {r.n_train})" for r in table.itertuples()]
    fig, axes = plt.subplots(1, 3, figsize=(10, 0.3 * len(table) + 1.2), sharey=True)
    for ax, col, title in zip(axes, ["mra_all", "mra_pareto", "hv_loss"],
                              ["MRA_all [pp]", "MRA_pareto [pp]", "HV loss"]):
        colors = np.where(table["kind"] == "transfer", "tab:orange", "tab:blue")
        ax.barh(labels, table[col], color=colors)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].invert_yaxis()
    fig.tight_layout()
    return fig
